import { TOPICS, dlqTopic, type TopicSpec } from '@streetwatch/schemas';

/**
 * The processor's internal repartition topic (declared in the catalogue): violation starts re-keyed
 * by `shopId`, with as many partitions as the inspections topic, so partition N of both carries the
 * same shops (Kafka's default murmur2 partitioner on the same key). Score state lives where the two meet.
 */
export const SHOP_VIOLATIONS: TopicSpec = TOPICS.shopViolations;

/** How the processor uses each input topic. */
export type InputRole = 'detections' | 'cameraHealth' | 'inspections' | 'shop' | 'flowCounts';

export const INPUTS: ReadonlyArray<{ role: InputRole; spec: TopicSpec }> = [
  { role: 'detections', spec: TOPICS.detections },
  { role: 'cameraHealth', spec: TOPICS.cameraHealth },
  { role: 'inspections', spec: TOPICS.inspections },
  { role: 'shop', spec: SHOP_VIOLATIONS },
  // history only (no rule reads them): decoded here, invalid ones to the DLQ, the rest to the sink
  { role: 'flowCounts', spec: TOPICS.flowCounts },
];

/** Topics the processor writes or reads that must exist; the internal one is created at start. */
export const INTERNAL_TOPICS: readonly TopicSpec[] = [SHOP_VIOLATIONS, dlqTopic(SHOP_VIOLATIONS)];
