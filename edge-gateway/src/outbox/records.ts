import { assertValid, type CameraHealth, type DetectionEvent, type FlowCount } from '@streetwatch/schemas';
import type { OutboxRecord } from './types.js';

/**
 * Outbox records from contract values: validated here (throws the schemas' ContractViolationError,
 * code SW_CONTRACT_INVALID), keyed by cameraId, serialized once.
 */
export function detectionRecord(event: DetectionEvent, createdAt?: number): OutboxRecord {
  const v = assertValid('DetectionEvent', event);
  return {
    topic: 'detections',
    key: v.cameraId,
    value: JSON.stringify(v),
    eventId: v.eventId,
    phase: v.phase,
    ...(createdAt !== undefined && { createdAt }),
  };
}

/** A per-camera record whose value has no phase (never dropped before detections). */
function cameraRecord(topic: OutboxRecord['topic'], v: { cameraId: string; eventId: string }, createdAt?: number): OutboxRecord {
  return { topic, key: v.cameraId, value: JSON.stringify(v), eventId: v.eventId, ...(createdAt !== undefined && { createdAt }) };
}

export function cameraHealthRecord(health: CameraHealth, createdAt?: number): OutboxRecord {
  return cameraRecord('cameraHealth', assertValid('CameraHealth', health), createdAt);
}

/** A minute of a count line's crossings (never dropped before detections: phase null). */
export function flowCountRecord(flow: FlowCount, createdAt?: number): OutboxRecord {
  return cameraRecord('flowCounts', assertValid('FlowCount', flow), createdAt);
}
