export { TrackerConfigSchema, type TrackerConfig } from './config.js';
export { Tracker, type Track, type TrackState } from './tracker.js';
