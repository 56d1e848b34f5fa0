/** Alert router: alerts in, routing, deliveries per channel, work orders and escalations. */
import { dashboard, labelVariable, type PanelSpec } from './panels.js';

const I = 'instance=~"$instance"';
const RI = '$__rate_interval';

const panels: PanelSpec[] = [
  { kind: 'row', title: 'Now' },
  { kind: 'stat', title: 'New alerts (1h)', w: 6, h: 4, queries: [{ expr: `sum(increase(streetwatch_router_alerts_total{result="new", ${I}}[1h]))` }] },
  {
    kind: 'stat',
    title: 'Deliveries given up (1h)',
    w: 6,
    h: 4,
    thresholds: [[1, 'red']],
    queries: [{ expr: `sum(increase(streetwatch_router_deliveries_total{outcome="dead", ${I}}[1h])) or vector(0)` }],
  },
  { kind: 'stat', title: 'Open work orders', w: 6, h: 4, queries: [{ expr: `sum(streetwatch_workorders_open{status!="closed", ${I}})` }] },
  {
    kind: 'stat',
    title: 'Delivery p95 (alert → provider)',
    unit: 's',
    w: 6,
    h: 4,
    thresholds: [[30, 'yellow'], [60, 'red']],
    queries: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(streetwatch_router_delivery_seconds_bucket{${I}}[15m])))` }],
  },

  { kind: 'row', title: 'Alerts and routing' },
  {
    kind: 'timeseries',
    title: 'Alerts consumed (new / duplicate)',
    unit: 'ops',
    queries: [
      { expr: `sum by (result) (rate(streetwatch_router_alerts_total{${I}}[${RI}]))`, legend: '{{result}}' },
      // valid messages its contract consumers took, per topic (alerts; detections for clearance)
      { expr: `sum by (topic) (rate(streetwatch_kafka_consumed_total{job="alert-router", ${I}}[${RI}]))`, legend: 'consumed {{topic}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Routed to departments',
    unit: 'ops',
    queries: [{ expr: `sum by (department) (rate(streetwatch_router_routed_total{${I}}[${RI}]))`, legend: '{{department}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Notifications and suppressions',
    queries: [
      { expr: `sum by (department, kind) (increase(streetwatch_router_notifications_total{${I}}[${RI}]))`, legend: '{{department}} {{kind}}' },
      { expr: `sum by (reason) (increase(streetwatch_router_suppressed_total{${I}}[${RI}]))`, legend: 'suppressed ({{reason}})' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Dead letters and refused messages',
    queries: [
      { expr: `sum by (topic, code) (increase(streetwatch_dlq_messages_total{job="alert-router", ${I}}[${RI}]))`, legend: 'DLQ {{topic}} {{code}}' },
      { expr: `sum by (topic) (increase(streetwatch_kafka_refused_total{job="alert-router", ${I}}[${RI}]))`, legend: 'refused {{topic}}' },
    ],
  },

  { kind: 'row', title: 'Deliveries' },
  {
    kind: 'timeseries',
    title: 'Delivery attempts by channel and outcome',
    unit: 'ops',
    queries: [{ expr: `sum by (channel, outcome) (rate(streetwatch_router_deliveries_total{${I}}[${RI}]))`, legend: '{{channel}} {{outcome}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Alert → provider accepted, p50 / p95 by channel type',
    unit: 's',
    queries: [
      { expr: `histogram_quantile(0.5, sum by (le, type) (rate(streetwatch_router_delivery_seconds_bucket{${I}}[${RI}])))`, legend: 'p50 {{type}}' },
      { expr: `histogram_quantile(0.95, sum by (le, type) (rate(streetwatch_router_delivery_seconds_bucket{${I}}[${RI}])))`, legend: 'p95 {{type}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Delivery queue',
    queries: [
      { expr: `sum by (state) (streetwatch_router_retry_queue_depth{${I}})`, legend: '{{state}}' },
      { expr: `sum(rate(streetwatch_router_delivery_events_total{${I}}[${RI}]))`, legend: 'Delivery events published /s' },
    ],
  },
  {
    kind: 'state-timeline',
    title: 'Channel circuit breakers',
    mappings: { '0': { text: 'closed', color: 'green' }, '1': { text: 'half-open', color: 'yellow' }, '2': { text: 'open', color: 'red' } },
    queries: [{ expr: `max by (channel) (streetwatch_router_circuit_state{${I}})`, legend: '{{channel}}' }],
  },

  { kind: 'row', title: 'Work orders' },
  {
    kind: 'timeseries',
    title: 'Open work orders by department and status',
    stack: true,
    queries: [{ expr: `sum by (department, status) (streetwatch_workorders_open{status!="closed", ${I}})`, legend: '{{department}} {{status}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Dispatched and transitions',
    queries: [
      { expr: `sum by (department) (increase(streetwatch_workorders_dispatched_total{${I}}[${RI}]))`, legend: 'dispatched {{department}}' },
      { expr: `sum by (action) (increase(streetwatch_workorder_transitions_total{${I}}[${RI}]))`, legend: '{{action}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Time to sign / close, p50 by department',
    unit: 's',
    queries: [
      { expr: `histogram_quantile(0.5, sum by (le, department) (rate(streetwatch_workorder_time_to_sign_seconds_bucket{${I}}[1h])))`, legend: 'sign {{department}}' },
      { expr: `histogram_quantile(0.5, sum by (le, department) (rate(streetwatch_workorder_time_to_close_seconds_bucket{${I}}[1h])))`, legend: 'close {{department}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Escalations',
    queries: [
      { expr: `sum by (department, step, target) (increase(streetwatch_workorder_escalations_total{${I}}[${RI}]))`, legend: '{{department}} step {{step}} → {{target}}' },
      { expr: `sum by (department) (increase(streetwatch_workorder_escalation_notify_errors_total{${I}}[${RI}]))`, legend: 'notify errors {{department}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'False positives / duplicates marked, by zone',
    queries: [{ expr: `sum by (kind, type, zone) (increase(streetwatch_alert_feedback_total{${I}}[1h]))`, legend: '{{kind}} {{type}} {{zone}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Work-order outbox and API',
    queries: [
      { expr: `sum(streetwatch_workorder_outbox_depth{${I}})`, legend: 'outbox depth' },
      { expr: `sum(increase(streetwatch_workorder_outbox_errors_total{${I}}[${RI}]))`, legend: 'outbox errors' },
      { expr: `sum by (result) (rate(streetwatch_workorder_api_requests_total{${I}}[${RI}]))`, legend: 'API {{result}} /s' },
      { expr: `sum(streetwatch_console_sse_clients{${I}})`, legend: 'console streams' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Violation ends: attached to a work order, kept for one to come, not clearing (camera offline, shutdown, schedule)',
    queries: [{ expr: `sum by (outcome) (increase(streetwatch_router_violation_ends_total{${I}}[${RI}]))`, legend: '{{outcome}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Retention: rows deleted by table, and time since the last good run',
    queries: [
      { expr: `sum by (table) (increase(streetwatch_router_retention_deleted_rows_total{${I}}[1h]))`, legend: '{{table}} /h' },
      { expr: `time() - max(streetwatch_router_retention_last_success_timestamp_seconds{${I}})`, legend: 'seconds since the last good run' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Process CPU, memory, event loop',
    w: 24,
    queries: [
      { expr: `rate(process_cpu_seconds_total{job="alert-router", ${I}}[${RI}])`, legend: '{{instance}} cpu' },
      { expr: `process_resident_memory_bytes{job="alert-router", ${I}} / 1e9`, legend: '{{instance}} RSS GB' },
      { expr: `nodejs_eventloop_lag_p99_seconds{job="alert-router", ${I}}`, legend: '{{instance}} event loop p99 s' },
    ],
  },
];

export const alertRouter = dashboard({
  uid: 'streetwatch-alert-router',
  title: 'Streetwatch / Alert router',
  description: 'Alerts in, routing to departments, deliveries per channel (latency, failures, circuits), work orders and escalations.',
  tags: ['alert-router'],
  variables: [labelVariable('instance', 'Instance', 'label_values(up{job="alert-router"}, instance)')],
  panels,
});
