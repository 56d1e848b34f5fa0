import { counter, gauge, histogram, type Registry } from '@streetwatch/platform';

/** The router's delivery-side metrics (get-or-create, so restarts in one process share them). */
export function routerMetrics(r: Registry) {
  return {
    alerts: counter(r, 'streetwatch_router_alerts_total', 'Alerts consumed, by result (new, duplicate)', ['result']),
    routed: counter(r, 'streetwatch_router_routed_total', 'Alert x department routings', ['department', 'route']),
    suppressed: counter(r, 'streetwatch_router_suppressed_total', 'Alert x department suppressed at notification time', ['reason']),
    notifications: counter(r, 'streetwatch_router_notifications_total', 'Group notifications created', ['department', 'kind']),
    deliveries: counter(r, 'streetwatch_router_deliveries_total', 'Delivery attempts by channel and outcome', ['channel', 'type', 'outcome']),
    queueDepth: gauge(r, 'streetwatch_router_retry_queue_depth', 'Deliveries waiting for a (re)try or in flight', ['state']),
    circuit: gauge(r, 'streetwatch_router_circuit_state', 'Circuit breaker per channel: 0 closed, 1 half-open, 2 open', ['channel']),
    latency: histogram(
      r,
      'streetwatch_router_delivery_seconds',
      'Alert createdAt to provider accepted, by channel type',
      ['type'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    ),
    eventsPublished: counter(r, 'streetwatch_router_delivery_events_total', 'Delivery events published to Kafka'),
  };
}
export type RouterMetrics = ReturnType<typeof routerMetrics>;

/** Delivery outcomes a channel's attempt is counted under (`uncertain` is counted for all channels at once, as `*`). */
const ATTEMPT_OUTCOMES = ['sent', 'retrying', 'failed', 'dead'] as const;

/**
 * Every series whose label values the config already knows starts at 0 when the router starts,
 * so rules and panels (`increase()`, `rate()`, a quantile) have a series, and see the first
 * event as an increase, before anything happened: alerts by result, suppressions by reason,
 * notifications by department and kind, attempts by channel and outcome, delivery latency by
 * channel type.
 */
export function zeroRouterMetrics(
  m: RouterMetrics,
  channels: Readonly<Record<string, { readonly type: string }>>,
  departments: readonly string[],
): void {
  for (const result of ['new', 'duplicate']) m.alerts.inc({ result }, 0);
  for (const department of departments) for (const kind of ['new', 'repeat']) m.notifications.inc({ department, kind }, 0);
  for (const reason of ['silence', 'inhibition']) m.suppressed.inc({ reason }, 0);
  for (const [channel, { type }] of Object.entries(channels)) {
    for (const outcome of ATTEMPT_OUTCOMES) m.deliveries.inc({ channel, type, outcome }, 0);
    m.latency.zero({ type });
  }
  m.deliveries.inc({ channel: '*', type: '*', outcome: 'uncertain' }, 0);
}
