export * from './wait.js';
export * from './kafka.js';
export * from './pg.js';
export * from './private-broker.js';
export * from './s3.js';
