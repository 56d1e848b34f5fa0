/**
 * Weekly time windows in a named time zone ("Asia/Shanghai"), the one vocabulary of every
 * service's schedules (edge zone schedules and muted windows, processor rule schedules, router
 * `timeOfDay`): `{ days: [mon, tue], from: '22:00', to: '06:00' }`. A window whose `to` is not
 * after its `from` crosses midnight and belongs to the day it starts on (Monday 22:00 to Tuesday
 * 06:00); `to: '24:00'` means end of day. Uses the runtime's Intl time-zone data (no dependency).
 */
import { Type, type ArrayOptions, type TArray, type TLiteral, type TUnion } from '@sinclair/typebox';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** Every day, in the order people write them. */
export const EVERY_DAY: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

type TWeekday = TUnion<Array<TLiteral<Weekday>>>;
const WeekdaySchema: TWeekday = Type.Union(WEEKDAYS.map((d) => Type.Literal(d)));

/** `days`: a non-empty list of distinct weekday names (`mon` .. `sun`). */
export function daysSchema(opts: ArrayOptions = {}): TArray<TWeekday> {
  return Type.Array(WeekdaySchema, { minItems: 1, uniqueItems: true, ...opts });
}

/** `HH:MM` local time, 00:00 - 24:00. */
export const HHMM_PATTERN = '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$';

export interface TimeWindow {
  readonly days: readonly Weekday[];
  /** HH:MM, 00:00-23:59. */
  readonly from: string;
  /** HH:MM, 00:00-24:00. */
  readonly to: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday (0 = Sunday) and minute of day of `when` in `timeZone`; throws RangeError for an unknown zone. */
export function localTime(when: Date | number, timeZone: string): { day: number; minute: number } {
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

/** A window parsed once: day numbers (0 = Sunday) and minutes of day. */
export interface CompiledWindow {
  readonly days: ReadonlySet<number>;
  readonly from: number;
  readonly to: number;
}

export function compileWindow(w: TimeWindow): CompiledWindow {
  return { days: new Set(w.days.map((d) => WEEKDAYS.indexOf(d))), from: parseHHMM(w.from), to: parseHHMM(w.to) };
}

/** Is local `day` / `minute` (from `localTime`) inside the window? */
export function inCompiledWindow(w: CompiledWindow, day: number, minute: number): boolean {
  if (w.from < w.to) return w.days.has(day) && minute >= w.from && minute < w.to;
  // Crosses midnight: from `from` on a listed day until `to` the next day.
  return (w.days.has(day) && minute >= w.from) || (w.days.has((day + 6) % 7) && minute < w.to);
}

/** True when `when` falls in any window. An empty list means "never". */
export function inWindows(when: Date | number, windows: readonly TimeWindow[], timeZone: string): boolean {
  if (windows.length === 0) return false;
  const { day, minute } = localTime(when, timeZone);
  return windows.some((w) => inCompiledWindow(compileWindow(w), day, minute));
}
