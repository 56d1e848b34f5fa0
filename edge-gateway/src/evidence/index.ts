export * from './render.js';
export * from './routes.js';
export * from './store.js';
