export * from './config.js';
export * from './geometry.js';
export * from './line-counter.js';
export * from './flow-counter.js';
export * from './events.js';
