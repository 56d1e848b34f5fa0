export { initBackend, type BackendInfo, type BackendName, type BackendPreference } from './backend.js';
export { COCO_CLASSES, DEFAULT_CLASS_MAP } from './coco.js';
export { DetectorConfigSchema, type DetectorConfig } from './config.js';
export { createDetector, createInProcessDetector } from './create.js';
export { ANALYTICS_ERRORS, AnalyticsError, type AnalyticsErrorCode } from './errors.js';
export { loadGraphModelFromFiles } from './model-loader.js';
export { TfjsGraphDetector, type DetectorDeps } from './tfjs-graph.js';
export type { Detection, Detector } from './types.js';
export { WorkerDetector } from './worker-detector.js';
