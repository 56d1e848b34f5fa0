export { PublisherConfigSchema, type PublisherConfig } from './config.js';
export { Publisher, type FlushResult, type PublisherDeps } from './publisher.js';
