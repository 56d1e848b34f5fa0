import type { Clock as WallClock } from '@streetwatch/platform';

/**
 * Wall-clock time, injectable: the punctuator and processing-time fields read it through this
 * interface so tests drive time by hand instead of sleeping. The platform's Clock (`now()`, ms
 * since the epoch), plus the punctuator's timer.
 */
export interface Clock extends WallClock {
  /** Run `fn` every `ms` until the returned handle is cancelled. */
  every(ms: number, fn: () => void): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
};

/** A clock that moves only when told; `advance` runs the periodic callbacks that came due. */
export class ManualClock implements Clock {
  private timers: Array<{ ms: number; next: number; fn: () => void; live: boolean }> = [];
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  every(ms: number, fn: () => void): { cancel(): void } {
    const timer = { ms, next: this.t + ms, fn, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.live && x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = end;
  }
}
