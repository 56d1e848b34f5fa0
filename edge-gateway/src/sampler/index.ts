export * from './analytic.js';
export * from './frame-reader.js';
