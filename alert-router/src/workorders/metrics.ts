import { counter, gauge, histogram, type Registry } from '@streetwatch/platform';
import { VIOLATION_TYPES, WorkOrderEvent } from '@streetwatch/schemas';

const STEP_BUCKETS = [30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800];

/** The work-order half's metrics (get-or-create: several instances may share one registry). */
export function workOrderMetrics(registry: Registry) {
  return {
    dispatched: counter(registry, 'streetwatch_workorders_dispatched_total', 'Work orders created (dedup hits not counted)', ['department', 'type']),
    transitions: counter(registry, 'streetwatch_workorder_transitions_total', 'Work-order transitions by action', ['department', 'action']),
    timeToSign: histogram(registry, 'streetwatch_workorder_time_to_sign_seconds', 'Dispatch to 签收, seconds', ['department', 'type'], STEP_BUCKETS),
    timeToClose: histogram(registry, 'streetwatch_workorder_time_to_close_seconds', 'Dispatch to 结案, seconds', ['department', 'type'], STEP_BUCKETS),
    open: gauge(registry, 'streetwatch_workorders_open', 'Open work orders by department and status', ['department', 'status']),
    escalations: counter(registry, 'streetwatch_workorder_escalations_total', 'Escalation levels fired', ['department', 'step', 'target']),
    escalationNotifyErrors: counter(registry, 'streetwatch_workorder_escalation_notify_errors_total', 'Escalation notifications that failed (retried)', ['department']),
    alertFeedback: counter(registry, 'streetwatch_alert_feedback_total', 'Alerts marked false positive or duplicate, per zone and camera', ['kind', 'type', 'zone', 'camera']),
    outboxDepth: gauge(registry, 'streetwatch_workorder_outbox_depth', 'Work-order events waiting in the outbox for Kafka'),
    outboxErrors: counter(registry, 'streetwatch_workorder_outbox_errors_total', 'Failed outbox drains (retried)'),
    apiRequests: counter(registry, 'streetwatch_workorder_api_requests_total', 'Work-order API requests by action and result', ['action', 'result']),
    sseClients: gauge(registry, 'streetwatch_console_sse_clients', 'Connected console streams'),
  };
}
export type WorkOrderMetrics = ReturnType<typeof workOrderMetrics>;

/** Every work-order event action (the contract's list): the `action` label of the transitions counter. */
const TRANSITION_ACTIONS: readonly string[] = WorkOrderEvent.properties.action.anyOf.map((a) => a.const);

/**
 * The step-time histograms and the per-department counters start at 0 for every department and
 * violation type when the router starts: a histogram's series is otherwise born with its first
 * observation, which `rate()` cannot see as an increase, so the p50 panels and the recording rule
 * stayed empty until a department's second work order of a type.
 */
export function zeroWorkOrderMetrics(m: WorkOrderMetrics, departments: readonly string[]): void {
  for (const department of departments) {
    for (const action of TRANSITION_ACTIONS) m.transitions.inc({ department, action }, 0);
    for (const type of VIOLATION_TYPES) {
      m.timeToSign.zero({ department, type });
      m.timeToClose.zero({ department, type });
      m.dispatched.inc({ department, type }, 0);
    }
    m.escalationNotifyErrors.inc({ department }, 0);
  }
}
