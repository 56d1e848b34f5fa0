export { TamperConfigSchema, type TamperConfig } from './config.js';
export { TamperDetector, type TamperTransition, type ViewMeasure, type ViewState } from './detector.js';
export { tamperHealthOf, TAMPER_REASONS, VIEW_RESTORED } from './health.js';
