/** Stream processor: input rates, alerts by rule, lag, watermarks, state, checkpoints, sink. */
import { dashboard, labelVariable, type PanelSpec } from './panels.js';

const I = 'instance=~"$instance"';
const RI = '$__rate_interval';

const panels: PanelSpec[] = [
  { kind: 'row', title: 'Now' },
  { kind: 'stat', title: 'Events / s', unit: 'ops', w: 6, h: 4, queries: [{ expr: `sum(rate(streetwatch_processor_events_total{${I}}[5m]))` }] },
  { kind: 'stat', title: 'Alerts (1h)', w: 6, h: 4, queries: [{ expr: `sum(increase(streetwatch_processor_alerts_total{${I}}[1h]))` }] },
  {
    kind: 'stat',
    title: 'Consumer lag',
    w: 6,
    h: 4,
    thresholds: [[1000, 'yellow'], [10000, 'red']],
    queries: [{ expr: `sum(streetwatch_processor_consumer_lag{${I}})` }],
  },
  { kind: 'stat', title: 'Tasks owned', w: 6, h: 4, queries: [{ expr: `sum(streetwatch_processor_tasks{${I}})` }] },

  { kind: 'row', title: 'Throughput' },
  {
    kind: 'timeseries',
    title: 'Input events by topic',
    unit: 'ops',
    queries: [
      { expr: `sum by (topic) (rate(streetwatch_processor_events_total{${I}}[${RI}]))`, legend: '{{topic}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Alerts by rule',
    unit: 'ops',
    queries: [
      { expr: `sum by (rule, kind) (rate(streetwatch_processor_alerts_total{${I}}[${RI}]))`, legend: '{{rule}} ({{kind}})' },
      { expr: `sum by (rule) (rate(streetwatch_processor_score_changes_total{${I}}[${RI}]))`, legend: 'shop colour {{rule}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Suppressed and late',
    queries: [
      { expr: `sum by (rule, reason) (increase(streetwatch_processor_suppressed_total{${I}}[${RI}]))`, legend: 'suppressed {{rule}} {{reason}}' },
      { expr: `sum by (rule) (increase(streetwatch_processor_late_events_total{${I}}[${RI}]))`, legend: 'late {{rule}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Produced to Kafka and dead letters',
    queries: [
      { expr: `sum by (topic) (rate(streetwatch_kafka_produced_total{job="stream-processor", ${I}}[${RI}]))`, legend: 'produced {{topic}}' },
      { expr: `sum by (topic, code) (increase(streetwatch_dlq_messages_total{job="stream-processor", ${I}}[${RI}]))`, legend: 'DLQ {{topic}} {{code}}' },
      { expr: `sum by (topic) (increase(streetwatch_kafka_refused_total{job="stream-processor", ${I}}[${RI}]))`, legend: 'refused {{topic}}' },
    ],
  },

  { kind: 'row', title: 'Lag and event time' },
  {
    kind: 'timeseries',
    title: 'Consumer lag by partition',
    queries: [{ expr: `sum by (topic, partition) (streetwatch_processor_consumer_lag{${I}})`, legend: '{{topic}} [{{partition}}]' }],
  },
  {
    kind: 'timeseries',
    title: 'Watermark delay (wall clock - watermark)',
    unit: 's',
    queries: [{ expr: `time() - max by (input, task) (streetwatch_processor_watermark_seconds{${I}})`, legend: '{{input}} task {{task}}' }],
  },

  { kind: 'row', title: 'State and checkpoints' },
  { kind: 'timeseries', title: 'Open state', queries: [{ expr: `sum by (kind) (streetwatch_processor_open_state{${I}})`, legend: '{{kind}}' }] },
  {
    kind: 'timeseries',
    title: 'Checkpoints and snapshot size',
    queries: [
      { expr: `sum by (outcome) (rate(streetwatch_processor_checkpoints_total{${I}}[${RI}]))`, legend: 'checkpoints {{outcome}} /s' },
      { expr: `sum(streetwatch_processor_snapshot_bytes{${I}})`, legend: 'snapshot bytes (all tasks)' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Replayed and skipped after restart; rule reloads',
    queries: [
      { expr: `sum by (topic) (increase(streetwatch_processor_replayed_skipped_total{${I}}[${RI}]))`, legend: 'skipped {{topic}}' },
      { expr: `sum by (outcome) (increase(streetwatch_processor_rule_reloads_total{${I}}[${RI}]))`, legend: 'reload {{outcome}}' },
    ],
  },

  { kind: 'row', title: 'History sink (PostgreSQL)' },
  { kind: 'timeseries', title: 'Rows written by table', unit: 'ops', queries: [{ expr: `sum by (table) (rate(streetwatch_processor_sink_rows_total{${I}}[${RI}]))`, legend: '{{table}}' }] },
  {
    kind: 'timeseries',
    title: 'Batch write time p95',
    unit: 's',
    queries: [{ expr: `histogram_quantile(0.95, sum by (le, table) (rate(streetwatch_processor_sink_seconds_bucket{${I}}[${RI}])))`, legend: '{{table}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Process CPU, memory, event loop',
    w: 24,
    queries: [
      { expr: `rate(process_cpu_seconds_total{job="stream-processor", ${I}}[${RI}])`, legend: '{{instance}} cpu' },
      { expr: `process_resident_memory_bytes{job="stream-processor", ${I}} / 1e9`, legend: '{{instance}} RSS GB' },
      { expr: `nodejs_eventloop_lag_p99_seconds{job="stream-processor", ${I}}`, legend: '{{instance}} event loop p99 s' },
    ],
  },
];

export const streamProcessor = dashboard({
  uid: 'streetwatch-stream-processor',
  title: 'Streetwatch / Stream processor',
  description: 'Inputs, alerts by rule, consumer lag, watermarks, keyed state, checkpoints and the PostgreSQL history sink.',
  tags: ['stream-processor'],
  variables: [labelVariable('instance', 'Instance', 'label_values(up{job="stream-processor"}, instance)')],
  panels,
});
