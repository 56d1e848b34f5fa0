export * from './errors.js';
export * from './config/index.js';
export * from './ops/index.js';
export * from './pipeline/index.js';
