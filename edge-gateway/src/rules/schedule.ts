/**
 * Weekly time windows in a named time zone ("Asia/Shanghai"), e.g.
 * `{ days: ['mon','tue'], from: '22:00', to: '06:00' }`: a window whose end is
 * not after its start crosses midnight and belongs to the day it starts on
 * (Monday 22:00 to Tuesday 06:00). `to: '24:00'` means end of day. The same words as the
 * processor's rule schedules (`days`, `from`, `to`); `start`/`end` are their old names here. Uses the
 * runtime's Intl time-zone data (no dependency).
 */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface TimeWindow {
  readonly days: readonly Weekday[];
  /** HH:MM, 00:00-23:59. */
  readonly from: string;
  /** HH:MM, 00:00-24:00. */
  readonly to: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday (0 = Sunday) and minute of day of `when` in `timeZone`. */
export function localTime(when: Date, timeZone: string): { day: number; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  let day = 0;
  let hour = 0;
  let minute = 0;
  for (const part of f.formatToParts(when)) {
    if (part.type === 'weekday') day = WEEKDAYS.indexOf(part.value.toLowerCase().slice(0, 3) as Weekday);
    else if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minute: hour * 60 + minute };
}

export function parseHHMM(s: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(s);
  if (!m || (m[1] === '24' && m[2] !== '00')) throw new RangeError(`not a HH:MM time: ${s}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Throws RangeError for an unknown time zone or a malformed window. */
export function validateWindows(windows: readonly TimeWindow[], timeZone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone });
  for (const w of windows) {
    parseHHMM(w.from);
    parseHHMM(w.to);
  }
}

/** True when `when` falls in any window. An empty list means "never". */
export function inWindows(when: Date, windows: readonly TimeWindow[], timeZone: string): boolean {
  if (windows.length === 0) return false;
  const { day, minute } = localTime(when, timeZone);
  const prevDay = (day + 6) % 7;
  for (const w of windows) {
    const start = parseHHMM(w.from);
    const end = parseHHMM(w.to);
    const days = w.days.map((d) => WEEKDAYS.indexOf(d));
    if (start < end) {
      if (days.includes(day) && minute >= start && minute < end) return true;
    } else {
      // Crosses midnight: from `from` on a listed day until `to` the next day.
      if (days.includes(day) && minute >= start) return true;
      if (days.includes(prevDay) && minute < end) return true;
    }
  }
  return false;
}
