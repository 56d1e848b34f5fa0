export * from './create.js';
export * from './ffmpeg.js';
export * from './ffmpeg-source.js';
export * from './metrics.js';
export * from './types.js';
