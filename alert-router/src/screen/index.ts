/** The overview screen (城市眼): figures from PostgreSQL, pushed live to `/screen`. */
export { ScreenConfig } from './config.js';
export { ScreenFeed, type ScreenSnapshot, type ScreenFeedDeps } from './feed.js';
export { screenRoutes, registerScreenPage } from './routes.js';
export * as figures from './figures.js';
