import { compileWindow, inCompiledWindow, localTime } from '@streetwatch/platform';
import type { Schedule } from '../config/schema.js';

/** Is the rule active at event time `t` (ms)? Compiled once per rule; cached per minute. */
export type ActiveAt = (t: number) => boolean;

export const ALWAYS: ActiveAt = () => true;

/**
 * The platform's one schedule vocabulary (platform/src/time-windows.ts, shared with the edge and
 * the router). Throws RangeError for an unknown time zone (config validation reports it by path).
 */
export function compileSchedule(s: Schedule | undefined): ActiveAt {
  if (!s) return ALWAYS;
  localTime(0, s.timezone); // an unknown zone throws here, at compile time
  const windows = s.windows.map(compileWindow);
  let cachedMinute = Number.NaN;
  let cachedValue = false;
  return (t: number) => {
    const minute = Math.floor(t / 60_000);
    if (minute === cachedMinute) return cachedValue;
    const local = localTime(t, s.timezone);
    cachedValue = windows.some((w) => inCompiledWindow(w, local.day, local.minute));
    cachedMinute = minute;
    return cachedValue;
  };
}
