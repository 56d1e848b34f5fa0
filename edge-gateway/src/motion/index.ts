export { MotionConfigSchema, StaticObjectConfigSchema, type MotionConfig, type StaticObjectConfig } from './config.js';
export { downscaleGrey } from './downscale.js';
export { MotionGate, type GateReason, type MotionResult } from './gate.js';
export { StaticObjectDetector, type StaticBlob } from './static-objects.js';
