/**
 * Exponential backoff with jitter and a cap: initial, 2x, 4x ... max, each +/- jitter.
 * reset() after a success. Pure (random source injectable) so its schedule is unit-tested.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Fraction: 0.2 -> each delay is uniformly drawn from [0.8 d, 1.2 d] (then capped at maxMs). */
  jitter: number;
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly random: () => number;
  constructor(private readonly opts: BackoffOptions) {
    this.random = opts.random ?? Math.random;
  }

  /** Delay before the next attempt; advances the schedule. */
  next(): number {
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const spread = base * this.opts.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.min(this.opts.maxMs, Math.round(base + spread)));
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
