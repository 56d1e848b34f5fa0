export * from './messages/common.js';
export * from './messages/detection.js';
export * from './messages/alert.js';
export * from './messages/workorder.js';
export * from './contracts.js';
export * from './topics.js';
export * from './validate.js';
export { buildAsyncApi } from './asyncapi.js';
export * from './examples.js';
