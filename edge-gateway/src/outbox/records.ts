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

export function cameraHealthRecord(health: CameraHealth, createdAt?: number): OutboxRecord {
  const v = assertValid('CameraHealth', health);
  return {
    topic: 'cameraHealth',
    key: v.cameraId,
    value: JSON.stringify(v),
    eventId: v.eventId,
    ...(createdAt !== undefined && { createdAt }),
  };
}

/** A minute of a count line's crossings (never dropped before detections: phase null). */
export function flowCountRecord(flow: FlowCount, createdAt?: number): OutboxRecord {
  const v = assertValid('FlowCount', flow);
  return {
    topic: 'flowCounts',
    key: v.cameraId,
    value: JSON.stringify(v),
    eventId: v.eventId,
    ...(createdAt !== undefined && { createdAt }),
  };
}
