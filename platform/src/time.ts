/**
 * A time (ms since the epoch, or a Date) as ISO-8601 UTC with milliseconds: the one form the
 * contracts, the logs and PostgreSQL parameters take.
 */
export function iso(t: number | Date): string {
  return (typeof t === 'number' ? new Date(t) : t).toISOString();
}

/**
 * Where a service reads the wall-clock time (ms since the epoch), injected through `deps` so that
 * tests move time by hand ({@link ManualClock}) instead of sleeping. Code that wants a Date makes
 * one: `new Date(clock.now())`.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. Starts at `start` (ms, ISO text or a Date). */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: number | string | Date = '2026-11-26T06:00:00.000Z') {
    this.t = toMs(start);
  }
  now(): number {
    return this.t;
  }
  /** Move on by `ms`; returns the new time. */
  advance(ms: number): number {
    this.t += ms;
    return this.t;
  }
  set(at: number | string | Date): void {
    this.t = toMs(at);
  }
}

function toMs(t: number | string | Date): number {
  const v = typeof t === 'number' ? t : new Date(t).getTime();
  if (!Number.isFinite(v)) throw new RangeError(`not a time: ${String(t)}`);
  return v;
}
