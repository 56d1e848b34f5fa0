/**
 * Exponential backoff with jitter: attempt n waits initial * factor^(n-1), capped at max, then
 * scaled by a random factor in [0.5, 1) ("equal jitter", so retries of a burst spread out but never
 * come back immediately). A provider's Retry-After wins when it asks for longer.
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export function backoffMs(p: BackoffPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const base = Math.min(p.maxMs, p.initialMs * p.factor ** Math.max(0, attempt - 1));
  const jittered = base * (0.5 + random() / 2);
  return Math.round(retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered) : jittered);
}
