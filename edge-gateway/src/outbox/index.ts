export { OutboxConfigSchema, type OutboxConfig } from './config.js';
export { OUTBOX_ERRORS, OutboxError, type OutboxErrorCode } from './errors.js';
export {
  Outbox,
  OUTBOX_TOPICS,
  type AppendResult,
  type OutboxDeps,
  type OutboxPhase,
  type OutboxRecord,
  type OutboxTopic,
  type RejectedRecord,
  type StoredRecord,
} from './outbox.js';
export { cameraHealthRecord, detectionRecord } from './records.js';
