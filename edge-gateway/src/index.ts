/** Public entry of @streetwatch/edge-gateway: the gateway, its config, and every stage's API. */
export * from './errors.js';
export * from './frame.js';
export * from './cameras/index.js';
export * from './source/index.js';
export * from './sampler/index.js';
export * from './motion/index.js';
export * from './detector/index.js';
export * from './tracker/index.js';
export * from './rules/index.js';
export * from './evidence/index.js';
export * from './outbox/index.js';
export * from './publish/index.js';
export * from './upload/index.js';
export * from './config/index.js';
export * from './ops/index.js';
export * from './pipeline/index.js';
