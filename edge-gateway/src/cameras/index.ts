export * from './config.js';
export * from './errors.js';
export * from './onvif.js';
export * from './url.js';
