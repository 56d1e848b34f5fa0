import type { ContractName } from './contracts.js';

/** How a topic is laid out on the broker. Values are Kafka topic configs. */
export interface TopicSpec {
  /** Full versioned name, `streetwatch.<name>.v1`. */
  readonly name: string;
  readonly contract: ContractName;
  readonly description: string;
  readonly partitions: number;
  /** Which message field is the Kafka key (ordering is per key). */
  readonly key: string;
  readonly config: Readonly<Record<string, string>>;
  /** Input topics have a dead-letter topic `<name>.dlq` for messages consumers refuse. */
  readonly dlq: boolean;
  readonly producers: readonly string[];
  readonly consumers: readonly string[];
}

const DAY_MS = 24 * 3600 * 1000;
const retention = (days: number): Record<string, string> => ({
  'cleanup.policy': 'delete',
  'retention.ms': String(days * DAY_MS),
});

/** The topic catalogue: the one place topic names, keys and settings are declared. */
export const TOPICS = {
  detections: {
    name: 'streetwatch.detections.v1',
    contract: 'DetectionEvent',
    description: 'Violation lifecycle messages (start/update/end) from edge gateways.',
    partitions: 6,
    key: 'cameraId',
    config: { ...retention(7), 'max.message.bytes': '1048576' },
    dlq: true,
    producers: ['edge-gateway'],
    consumers: ['stream-processor', 'alert-router'],
  },
  cameraHealth: {
    name: 'streetwatch.camera-health.v1',
    contract: 'CameraHealth',
    description: 'Camera online/offline/tampered transitions with stream statistics, and a heartbeat per camera per minute re-stating its state (heartbeat: true).',
    partitions: 3,
    key: 'cameraId',
    config: retention(14),
    dlq: true,
    producers: ['edge-gateway'],
    consumers: ['stream-processor'],
  },
  flowCounts: {
    name: 'streetwatch.flow-counts.v1',
    contract: 'FlowCount',
    description:
      'People and vehicles crossing counting lines: per camera, line and minute, counts per class and direction (zeros included; a missing minute was not watched).',
    partitions: 3,
    key: 'cameraId',
    config: retention(14),
    dlq: true,
    producers: ['edge-gateway'],
    consumers: ['stream-processor'],
  },
  detectionsLate: {
    name: 'streetwatch.detections-late.v1',
    contract: 'DetectionEvent',
    description: 'Detection events that arrived after their window closed (beyond the rule grace).',
    partitions: 3,
    key: 'cameraId',
    config: retention(7),
    dlq: false,
    producers: ['stream-processor'],
    consumers: [],
  },
  inspections: {
    name: 'streetwatch.inspections.v1',
    contract: 'InspectionRecord',
    description: 'Inspection and community-visit records that adjust shop scores.',
    partitions: 3,
    key: 'shopId',
    config: retention(90),
    dlq: true,
    producers: ['inspection apps'],
    consumers: ['stream-processor'],
  },
  shopScores: {
    name: 'streetwatch.shop-scores.v1',
    contract: 'ShopScoreChange',
    description: 'Red/yellow/green colour changes of shop profiles (latest per shop kept).',
    partitions: 3,
    key: 'shopId',
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(3600 * 1000) },
    dlq: false,
    producers: ['stream-processor'],
    consumers: ['dashboards'],
  },
  shopViolations: {
    name: 'streetwatch.processor-shop-violations.v1',
    contract: 'DetectionEvent',
    description:
      'Internal to the stream processor: violation starts re-keyed by shopId, co-partitioned with inspections so a shop score lives where both meet.',
    partitions: 3,
    key: 'shopId',
    config: retention(7),
    dlq: true,
    producers: ['stream-processor'],
    consumers: ['stream-processor'],
  },
  alerts: {
    name: 'streetwatch.alerts.v1',
    contract: 'Alert',
    description: 'Threshold alerts; alertId is deterministic so duplicates are harmless.',
    partitions: 6,
    key: 'alertId',
    config: retention(30),
    dlq: true,
    producers: ['stream-processor'],
    consumers: ['alert-router'],
  },
  deliveries: {
    name: 'streetwatch.deliveries.v1',
    contract: 'Delivery',
    description: 'Every notification attempt per channel and its outcome.',
    partitions: 3,
    key: 'alertId',
    config: retention(30),
    dlq: false,
    producers: ['alert-router'],
    consumers: ['ops'],
  },
  workOrders: {
    name: 'streetwatch.work-orders.v1',
    contract: 'WorkOrderEvent',
    description: 'Work-order lifecycle transitions (dispatch, sign, handle, feedback, verify, close, return).',
    partitions: 3,
    key: 'workOrderId',
    config: retention(365),
    dlq: false,
    producers: ['alert-router'],
    consumers: ['ops', 'city platforms'],
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** Department queues are one topic per department: `streetwatch.dept.<id>.v1`. */
export function departmentTopic(departmentId: string): TopicSpec {
  return {
    name: `streetwatch.dept.${departmentId}.v1`,
    contract: 'DepartmentNotice',
    description: `Work orders for department ${departmentId}.`,
    partitions: 1,
    key: 'workOrderId',
    config: retention(30),
    dlq: false,
    producers: ['alert-router'],
    consumers: [`department ${departmentId}`],
  };
}

export const DLQ_SUFFIX = '.dlq';

/** The dead-letter topic for an input topic. */
export function dlqTopic(spec: TopicSpec): TopicSpec {
  return {
    name: spec.name + DLQ_SUFFIX,
    contract: 'DeadLetter',
    description: `Messages refused by consumers of ${spec.name}, with the reason.`,
    partitions: 1,
    key: 'originalTopic',
    config: retention(30),
    dlq: false,
    producers: spec.consumers,
    consumers: ['ops'],
  };
}

/** All topics to provision, DLQs included; an `extra` topic already in the catalogue counts once. */
export function allTopicSpecs(extra: readonly TopicSpec[] = []): TopicSpec[] {
  const base: TopicSpec[] = [...Object.values(TOPICS)];
  for (const e of extra) if (!base.some((b) => b.name === e.name)) base.push(e);
  return [...base, ...base.filter((t) => t.dlq).map(dlqTopic)];
}

/**
 * Resolve a topic name under an optional namespace prefix (e.g. `staging.`); tests use a unique
 * prefix so they never see each other's messages. Production runs with no prefix.
 */
export function topicName(spec: TopicSpec | string, prefix = ''): string {
  return prefix + (typeof spec === 'string' ? spec : spec.name);
}
