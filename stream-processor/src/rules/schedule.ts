import type { Schedule } from '../config/schema.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** Is the rule active at event time `t` (ms)? Compiled once per rule; cached per minute. */
export type ActiveAt = (t: number) => boolean;

export const ALWAYS: ActiveAt = () => true;

/** Throws RangeError for an unknown time zone (config validation reports it by path). */
export function compileSchedule(s: Schedule | undefined): ActiveAt {
  if (!s) return ALWAYS;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: s.timezone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const windows = s.windows.map((w) => ({
    days: new Set<string>(w.days),
    from: minutes(w.from),
    to: minutes(w.to),
  }));
  let cachedMinute = Number.NaN;
  let cachedValue = false;
  return (t: number) => {
    const minute = Math.floor(t / 60_000);
    if (minute === cachedMinute) return cachedValue;
    const parts = fmt.formatToParts(new Date(t));
    const day = (parts.find((p) => p.type === 'weekday')?.value ?? '').toLowerCase().slice(0, 3);
    const hh = Number(parts.find((p) => p.type === 'hour')?.value ?? 0);
    const mm = Number(parts.find((p) => p.type === 'minute')?.value ?? 0);
    const m = hh * 60 + mm;
    const prevDay = DAYS[(DAYS.indexOf(day as (typeof DAYS)[number]) + 6) % 7] as string;
    cachedValue = windows.some((w) => {
      if (w.from <= w.to) return w.days.has(day) && m >= w.from && m < w.to;
      // Crosses midnight: the evening part belongs to `day`, the morning part to the day before.
      return (w.days.has(day) && m >= w.from) || (w.days.has(prevDay) && m < w.to);
    });
    cachedMinute = minute;
    return cachedValue;
  };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
