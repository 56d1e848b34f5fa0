/**
 * The pipeline on one page: events/s per stage, lag and backlogs, dead letters, cameras, alert →
 * delivery latency and work orders. Reads the recording rules in prometheus/rules where one exists.
 */
import { dashboard, type PanelSpec } from './panels.js';

const ONLINE = { '0': { text: 'offline', color: 'red' }, '1': { text: 'online', color: 'green' } };

const panels: PanelSpec[] = [
  { kind: 'row', title: 'Now' },
  {
    kind: 'stat',
    title: 'Cameras online',
    w: 4,
    h: 4,
    queries: [{ expr: 'sum(instance:streetwatch_edge_cameras_online:sum)' }],
  },
  {
    kind: 'stat',
    title: 'Cameras offline',
    w: 4,
    h: 4,
    thresholds: [[1, 'red']],
    queries: [{ expr: 'sum(instance:streetwatch_edge_cameras:count) - sum(instance:streetwatch_edge_cameras_online:sum)' }],
  },
  { kind: 'stat', title: 'Detections / s', unit: 'ops', w: 4, h: 4, queries: [{ expr: 'sum(stage:streetwatch_processor_events:rate5m)' }] },
  {
    kind: 'stat',
    title: 'Consumer lag',
    w: 4,
    h: 4,
    thresholds: [[1000, 'yellow'], [10000, 'red']],
    queries: [{ expr: 'sum(topic:streetwatch_processor_consumer_lag:sum)' }],
  },
  {
    kind: 'stat',
    title: 'Dead letters (1h)',
    w: 4,
    h: 4,
    thresholds: [[1, 'orange']],
    queries: [{ expr: 'sum(increase(streetwatch_dlq_messages_total[1h])) or vector(0)' }],
  },
  { kind: 'stat', title: 'Open work orders', w: 4, h: 4, queries: [{ expr: 'sum(department:streetwatch_workorders_open:sum)' }] },

  { kind: 'row', title: 'Events per second, stage by stage' },
  {
    kind: 'timeseries',
    title: 'Edge → Kafka → processor → alerts → router → channels',
    description: 'Each line is one stage of the pipeline (5-minute rates from the recording rules).',
    unit: 'ops',
    w: 24,
    h: 9,
    queries: [
      { expr: 'sum(stage:streetwatch_edge_events_produced:rate5m)', legend: 'edge: produced to Kafka' },
      { expr: 'sum(stage:streetwatch_processor_events:rate5m)', legend: 'processor: events in' },
      { expr: 'sum(stage:streetwatch_processor_alerts:rate5m)', legend: 'processor: alerts out' },
      { expr: 'sum(stage:streetwatch_router_alerts:rate5m{result="new"})', legend: 'router: new alerts' },
      { expr: 'sum(stage:streetwatch_router_deliveries:rate5m{outcome="sent"})', legend: 'router: deliveries sent' },
    ],
  },

  { kind: 'row', title: 'Lag, backlogs, dead letters' },
  {
    kind: 'timeseries',
    title: 'Processor consumer lag by topic',
    w: 8,
    queries: [{ expr: 'topic:streetwatch_processor_consumer_lag:sum', legend: '{{topic}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Outbox depth (edge disk outbox, work-order outbox, delivery queue)',
    w: 8,
    queries: [
      { expr: 'sum by (instance) (streetwatch_edge_outbox_depth)', legend: 'edge {{instance}}' },
      { expr: 'sum(streetwatch_workorder_outbox_depth)', legend: 'work-order outbox' },
      { expr: 'sum by (state) (streetwatch_router_retry_queue_depth)', legend: 'deliveries {{state}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Oldest unsent edge event',
    unit: 's',
    w: 8,
    queries: [{ expr: 'max by (instance) (streetwatch_edge_outbox_oldest_age_seconds)', legend: '{{instance}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Dead letters by service, topic, code',
    w: 24,
    queries: [{ expr: 'service_topic_code:streetwatch_dlq_messages:rate5m', legend: '{{service}} {{topic}} {{code}}' }],
  },

  { kind: 'row', title: 'Cameras' },
  {
    kind: 'state-timeline',
    title: 'Camera online map (every camera of every edge box)',
    w: 24,
    h: 10,
    mappings: ONLINE,
    queries: [{ expr: 'max by (instance, camera) (streetwatch_edge_camera_online)', legend: '{{instance}} / {{camera}}' }],
  },
  {
    kind: 'table',
    title: 'Cameras',
    w: 24,
    h: 10,
    mappings: ONLINE,
    rename: { 'Value #A': 'online', 'Value #B': 'decoded fps', 'Value #C': 'last frame age (s)', 'Value #D': 'restarts (1h)' },
    queries: [
      { expr: 'max by (site, instance, camera) (streetwatch_edge_camera_online)', instant: true },
      { expr: 'max by (site, instance, camera) (streetwatch_edge_camera_decoded_fps)', instant: true },
      { expr: 'max by (site, instance, camera) (streetwatch_edge_camera_last_frame_age_seconds)', instant: true },
      { expr: 'sum by (site, instance, camera) (increase(streetwatch_edge_camera_restarts_total[1h]))', instant: true },
    ],
  },
  {
    kind: 'stat',
    title: 'Cameras silent > 3 min (cloud side)',
    description:
      'Cameras with no CameraHealth (heartbeats included: one per camera per minute) for over 3 minutes, as the stream processor sees them: a dead or cut-off gateway, whether or not Prometheus can scrape it. Alert StreetwatchCameraSilent; the overview screen shows them offline.',
    w: 6,
    thresholds: [[1, 'red']],
    base: 'green',
    queries: [{ expr: 'count(time() - max by (camera, gateway) (streetwatch_processor_camera_last_seen_seconds) > 180) or vector(0)', instant: true }],
  },
  {
    kind: 'table',
    title: 'Cameras: time since last heard (cloud side, from their health events)',
    unit: 's',
    w: 18,
    rename: { Value: 'silent for (s)' },
    queries: [{ expr: 'time() - max by (gateway, camera) (streetwatch_processor_camera_last_seen_seconds)', instant: true }],
  },

  { kind: 'row', title: 'Alert → delivery' },
  {
    kind: 'timeseries',
    title: 'Alert created → provider accepted (p50 / p95 by channel type)',
    unit: 's',
    queries: [
      { expr: 'type:streetwatch_router_delivery_seconds:p50_5m', legend: 'p50 {{type}}' },
      { expr: 'type:streetwatch_router_delivery_seconds:p95_5m', legend: 'p95 {{type}}' },
    ],
  },
  {
    kind: 'timeseries',
    title: 'Delivery outcomes',
    unit: 'ops',
    stack: true,
    queries: [{ expr: 'sum by (outcome) (stage:streetwatch_router_deliveries:rate5m)', legend: '{{outcome}}' }],
  },

  { kind: 'row', title: 'Work orders' },
  {
    kind: 'bargauge',
    title: 'Open work orders by department',
    w: 8,
    queries: [{ expr: 'department:streetwatch_workorders_open:sum', legend: '{{department}}', instant: true }],
  },
  {
    kind: 'timeseries',
    title: 'Time to close, p50 by department (1h)',
    unit: 's',
    w: 8,
    queries: [{ expr: 'department:streetwatch_workorder_time_to_close_seconds:p50_1h', legend: '{{department}}' }],
  },
  {
    kind: 'timeseries',
    title: 'Dispatched / closed per hour',
    w: 8,
    queries: [
      { expr: 'sum(increase(streetwatch_workorders_dispatched_total[1h]))', legend: 'dispatched' },
      { expr: 'sum(increase(streetwatch_workorder_transitions_total{action="closed"}[1h]))', legend: 'closed' },
    ],
  },
];

export const pipelineOverview = dashboard({
  uid: 'streetwatch-pipeline',
  title: 'Streetwatch / Pipeline overview',
  description: 'Events per stage, lag, outboxes, dead letters, cameras, alert → delivery latency and work orders, on one page.',
  tags: ['overview'],
  panels,
});
