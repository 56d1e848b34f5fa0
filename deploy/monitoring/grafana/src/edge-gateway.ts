/** Edge gateway: cameras, analytics chain, outbox and Kafka uplink of each edge box. */
import { dashboard, labelVariable, type PanelSpec } from './panels.js';

const I = 'instance=~"$instance"';
const RI = '$__rate_interval';

const ONLINE = { '0': { text: 'offline', color: 'red' }, '1': { text: 'online', color: 'green' } };
const TAMPERED = { '0': { text: 'view ok', color: 'green' }, '1': { text: 'tampered', color: 'purple' } };

const panels: PanelSpec[] = [
  { kind: 'row', title: 'Now' },
  { kind: 'stat', title: 'Cameras online', w: 6, h: 4, queries: [{ expr: `sum(streetwatch_edge_camera_online{${I}})` }] },
  {
    kind: 'stat',
    title: 'Cameras offline',
    w: 6,
    h: 4,
    thresholds: [[1, 'red']],
    queries: [{ expr: `count(streetwatch_edge_camera_online{${I}} == 0) or vector(0)` }],
  },
  {
    kind: 'stat',
    title: 'Outbox depth',
    description: 'Events waiting on disk for Kafka (the uplink is down or slow when this grows).',
    w: 6,
    h: 4,
    thresholds: [[100, 'yellow'], [10000, 'red']],
    queries: [{ expr: `sum(streetwatch_edge_outbox_depth{${I}})` }],
  },
  {
    kind: 'stat',
    title: 'Kafka uplink',
    w: 6,
    h: 4,
    base: 'red',
    mappings: { '0': { text: 'down', color: 'red' }, '1': { text: 'connected', color: 'green' } },
    queries: [{ expr: `min(streetwatch_edge_kafka_connected{${I}})` }],
  },

  { kind: 'row', title: 'Cameras' },
  {
    kind: 'table',
    title: 'Camera status',
    w: 24,
    h: 9,
    mappings: ONLINE,
    hide: [],
    rename: { 'Value #A': 'online', 'Value #B': 'decoded fps', 'Value #C': 'last frame age (s)', 'Value #D': 'detector ms' },
    queries: [
      { expr: `max by (instance, camera) (streetwatch_edge_camera_online{${I}})`, instant: true },
      { expr: `max by (instance, camera) (streetwatch_edge_camera_decoded_fps{${I}})`, instant: true },
      { expr: `max by (instance, camera) (streetwatch_edge_camera_last_frame_age_seconds{${I}})`, instant: true },
      { expr: `max by (instance, camera) (streetwatch_edge_camera_detector_ms{${I}})`, instant: true },
    ],
  },
  {
    kind: 'state-timeline',
    title: 'Camera online / offline',
    w: 24,
    h: 8,
    mappings: ONLINE,
    queries: [{ expr: `max by (camera) (streetwatch_edge_camera_online{${I}})`, legend: '{{camera}}' }],
  },
  { kind: 'timeseries', title: 'Decoded fps', unit: 'fps', queries: [{ expr: `streetwatch_edge_camera_decoded_fps{${I}}`, legend: '{{camera}}' }] },
  { kind: 'timeseries', title: 'Last frame age', unit: 's', queries: [{ expr: `streetwatch_edge_camera_last_frame_age_seconds{${I}}`, legend: '{{camera}}' }] },
  {
    kind: 'timeseries',
    title: 'Decoder restarts by reason',
    queries: [{ expr: `sum by (camera, reason) (increase(streetwatch_edge_camera_restarts_total{${I}}[${RI}]))`, legend: '{{camera}} {{reason}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Frames decoded / dropped (busy analytics)',
    unit: 'fps',
    queries: [
      { expr: `sum by (camera) (rate(streetwatch_edge_camera_frames_total{${I}}[${RI}]))`, legend: '{{camera}} decoded' },
      { expr: `sum by (camera) (rate(streetwatch_edge_camera_frames_dropped_total{${I}}[${RI}]))`, legend: '{{camera}} dropped' },
    ],
  },

  { kind: 'row', title: 'Analytics' },
  {
    kind: 'timeseries',
    title: 'Stage time p95',
    unit: 's',
    queries: [{ expr: `histogram_quantile(0.95, sum by (le, stage) (rate(streetwatch_edge_stage_seconds_bucket{${I}}[${RI}])))`, legend: '{{stage}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Detector inference p50 / p95',
    unit: 's',
    queries: [
      { expr: `histogram_quantile(0.5, sum by (le) (rate(streetwatch_edge_detector_inference_seconds_bucket{${I}}[${RI}])))`, legend: 'p50' },
      { expr: `histogram_quantile(0.95, sum by (le) (rate(streetwatch_edge_detector_inference_seconds_bucket{${I}}[${RI}])))`, legend: 'p95' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Frames analysed (detector ran / skipped by the motion gate)',
    unit: 'fps',
    stack: true,
    queries: [{ expr: `sum by (detector) (rate(streetwatch_edge_frames_analysed_total{${I}}[${RI}]))`, legend: '{{detector}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Detector queue depth, and frames copied to reach a detector thread (0 when frames come from shared memory)',
    queries: [
      { expr: `streetwatch_edge_detector_queue_depth{${I}}`, legend: '{{instance}} queue' },
      { expr: `sum by (instance) (rate(streetwatch_edge_detector_frame_copies_total{${I}}[${RI}]))`, legend: '{{instance}} copies /s' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Detection events by type and phase',
    unit: 'ops',
    queries: [{ expr: `sum by (type, phase) (rate(streetwatch_edge_events_total{${I}}[${RI}]))`, legend: '{{type}} {{phase}}' }],
  },
  { kind: 'timeseries', title: 'Open violations', queries: [{ expr: `sum by (camera) (streetwatch_edge_violations_open{${I}})`, legend: '{{camera}}' }] },
  {
    kind: 'timeseries',
    title: 'Pipeline failures and invalid events',
    queries: [
      { expr: `sum by (code) (increase(streetwatch_edge_pipeline_failures_total{${I}}[${RI}]))`, legend: '{{code}}' },
      { expr: `sum by (contract) (increase(streetwatch_edge_events_invalid_total{${I}}[${RI}]))`, legend: 'invalid {{contract}}' },
    ],
  },
  {
    kind: 'table',
    title: 'Detector backend',
    hide: ['Value'],
    queries: [{ expr: `streetwatch_edge_detector_backend_info{${I}}`, instant: true }],
  },

  { kind: 'row', title: 'Flows (count lines: people and vehicles crossing)' },
  {
    kind: 'timeseries',
    title: 'Crossings per hour by class and direction',
    description: 'Count lines (count_line zones): one count per track and direction; each point is the hour up to it. The hourly history is in PostgreSQL (flow_counts_hourly).',
    w: 16,
    queries: [{ expr: `sum by (class, direction) (increase(streetwatch_edge_flow_crossings_total{${I}}[1h]))`, legend: '{{class}} {{direction}}' }],
  },
  {
    kind: 'table',
    title: 'Last hour per camera and line',
    w: 8,
    rename: { Value: 'crossings (1 h)' },
    queries: [{ expr: `sum by (camera, line, class, direction) (increase(streetwatch_edge_flow_crossings_total{${I}}[1h]))`, instant: true }],
  },
  {
    kind: 'timeseries',
    title: 'Flow minutes written (one per count line and watched minute; fewer: camera not watched)',
    w: 24,
    h: 6,
    queries: [{ expr: `sum by (camera) (increase(streetwatch_edge_flow_minutes_total{${I}}[5m])) / 5`, legend: '{{camera}} per minute' }],
  },

  { kind: 'row', title: 'Camera view (tamper) and camera analytics (ISAPI)' },
  {
    kind: 'state-timeline',
    title: 'Camera view covered, blurred or moved',
    description: 'streetwatch_edge_camera_tampered: 1 while the view differs from the learned reference (after tamper.dwellSeconds); the reason label says which.',
    w: 24,
    mappings: TAMPERED,
    queries: [{ expr: `max by (camera, reason) (streetwatch_edge_camera_tampered{${I}})`, legend: '{{camera}} {{reason}}' }],
  },
  {
    kind: 'stat',
    title: 'Cameras tampered now',
    w: 6,
    h: 4,
    thresholds: [[1, 'purple']],
    queries: [{ expr: `count(max by (instance, camera) (streetwatch_edge_camera_tampered{${I}}) == 1) or vector(0)` }],
  },
  {
    kind: 'stat',
    title: 'ISAPI alert streams connected',
    w: 6,
    h: 4,
    queries: [{ expr: `sum(streetwatch_edge_isapi_connected{${I}}) or vector(0)` }],
  },
  {
    kind: 'timeseries',
    title: 'ISAPI alert stream parts by outcome',
    w: 12,
    h: 8,
    queries: [{ expr: `sum by (outcome) (rate(streetwatch_edge_isapi_parts_total{${I}}[${RI}]))`, legend: '{{outcome}}' }],
  },
  {
    kind: 'timeseries',
    title: 'ISAPI disconnects by code',
    queries: [{ expr: `sum by (camera, code) (increase(streetwatch_edge_isapi_disconnects_total{${I}}[${RI}]))`, legend: '{{camera}} {{code}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Camera-analytics violations (events by type and phase, open)',
    queries: [
      { expr: `sum by (type, phase) (rate(streetwatch_edge_camera_events_total{${I}}[${RI}]))`, legend: '{{type}} {{phase}}' },
      { expr: `sum by (camera) (streetwatch_edge_camera_violations_open{${I}})`, legend: 'open {{camera}}' },
    ],
  },

  { kind: 'row', title: 'Outbox and Kafka uplink' },
  {
    kind: 'timeseries',
    title: 'Outbox depth and bytes',
    queries: [
      { expr: `streetwatch_edge_outbox_depth{${I}}`, legend: '{{instance}} records' },
      { expr: `streetwatch_edge_outbox_bytes{${I}}`, legend: '{{instance}} bytes' },
    ],
  },
  { kind: 'timeseries', title: 'Oldest unsent event', unit: 's', queries: [{ expr: `streetwatch_edge_outbox_oldest_age_seconds{${I}}`, legend: '{{instance}}' }] },
  {
    kind: 'timeseries',
    title: 'Produced to Kafka by topic',
    unit: 'ops',
    queries: [{ expr: `sum by (topic) (rate(streetwatch_edge_events_produced_total{${I}}[${RI}]))`, legend: '{{topic}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Publish errors, drops and rejections',
    queries: [
      { expr: `sum by (code) (increase(streetwatch_edge_publish_errors_total{${I}}[${RI}]))`, legend: 'publish error {{code}}' },
      { expr: `sum by (reason) (increase(streetwatch_edge_outbox_dropped_total{${I}}[${RI}]))`, legend: 'dropped {{reason}}' },
      { expr: `sum by (topic, code) (increase(streetwatch_edge_outbox_rejected_total{${I}}[${RI}]))`, legend: 'rejected {{topic}} {{code}}' },
      { expr: `max(streetwatch_edge_outbox_full{${I}})`, legend: 'outbox full' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Camera health events by status, and heartbeats',
    description: 'Changes (online, offline, tampered) by status; heartbeats: each camera re-stated every health.heartbeatIntervalSeconds (one per camera per minute by default), through the outbox',
    queries: [
      { expr: `sum by (status) (increase(streetwatch_edge_health_events_total{${I}}[${RI}]))`, legend: '{{status}}' },
      { expr: `sum(increase(streetwatch_edge_health_heartbeats_total{${I}}[${RI}]))`, legend: 'heartbeats' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Process CPU and memory',
    queries: [
      { expr: `rate(process_cpu_seconds_total{job="edge-gateway", ${I}}[${RI}])`, legend: '{{instance}} cpu' },
      { expr: `process_resident_memory_bytes{job="edge-gateway", ${I}} / 1e9`, legend: '{{instance}} RSS GB' },
      { expr: `nodejs_eventloop_lag_p99_seconds{job="edge-gateway", ${I}}`, legend: '{{instance}} event loop p99 s' },
    ],
  },
];

export const edgeGateway = dashboard({
  uid: 'streetwatch-edge-gateway',
  title: 'Streetwatch / Edge gateway',
  description: 'Per edge box: cameras (online, fps, frame age, restarts), the analytics chain, the disk outbox and the Kafka uplink.',
  tags: ['edge-gateway'],
  variables: [labelVariable('instance', 'Edge box', 'label_values(up{job="edge-gateway"}, instance)')],
  panels,
});
