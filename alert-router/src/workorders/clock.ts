/** Where the work-order half reads the time: deadlines, escalations and history all use it. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: tests advance it instead of sleeping. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-11-26T06:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): Date {
    this.t += ms;
    return this.now();
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
}
