/**
 * Exponential backoff, the one schedule every retry loop uses (camera reconnects, the edge's Kafka
 * publisher, the detector thread's restarts, the router's deliveries). Retry n (1 = the first)
 * waits initial * factor^(n-1), capped at max, then jittered. Pure: the random source is
 * injectable, so each schedule is unit-tested.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Growth per retry; default 2. */
  readonly factor?: number;
  /**
   * A fraction f draws each delay uniformly from [d(1-f), d(1+f)] (then capped at maxMs);
   * `equal` draws from [d/2, d), so a burst of retries spreads out but none comes back at once;
   * 0 (default) none.
   */
  readonly jitter?: number | 'equal';
}

/** The delay before retry number `attempt` (1-based). */
export function backoffDelay(p: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * (p.factor ?? 2) ** Math.min(Math.max(0, attempt - 1), 64));
  const jitter = p.jitter ?? 0;
  if (jitter === 'equal') return Math.round(base * (0.5 + random() / 2));
  const spread = base * jitter * (random() * 2 - 1);
  return Math.max(0, Math.min(p.maxMs, Math.round(base + spread)));
}

/** A running schedule: next() gives the next delay and advances; reset() after a success. */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    this.attempt++;
    return backoffDelay(this.policy, this.attempt, this.random);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
