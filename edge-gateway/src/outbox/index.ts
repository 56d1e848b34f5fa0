export { OutboxConfigSchema, type OutboxConfig } from './config.js';
export { OUTBOX_ERRORS, OutboxError, type OutboxErrorCode } from './errors.js';
export { Outbox, type OutboxDeps } from './outbox.js';
export {
  OUTBOX_TOPICS,
  type AppendResult,
  type OutboxPhase,
  type OutboxRecord,
  type OutboxTopic,
  type RejectedRecord,
  type StoredRecord,
} from './types.js';
export { cameraHealthRecord, detectionRecord, flowCountRecord } from './records.js';
export { depthOrClosed, WakeableSleep } from './wakeable-sleep.js';
export { type PictureDropReason, type PictureRecord, type StoredPicture } from './pictures.js';
