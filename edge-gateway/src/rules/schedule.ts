/**
 * Weekly time windows of zone schedules and muted windows: the platform's one schedule vocabulary
 * (`days`, `from`, `to`; platform/src/time-windows.ts), shared with the processor's rule schedules
 * and the router's `timeOfDay`. `start`/`end` are their old names here (config/parse.ts).
 */
export { inWindows, localTime, parseHHMM, validateWindows, WEEKDAYS, type TimeWindow, type Weekday } from '@streetwatch/platform';
