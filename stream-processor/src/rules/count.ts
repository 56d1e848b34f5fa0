import type { CountSpec } from '../config/load.js';
import { humanDuration } from '../config/duration.js';
import { buildAlert } from './alert.js';
import type { Emitter, RuleClock, ViolationRef } from './types.js';

/** One key's sliding window: violation starts sorted by event time. */
export interface CountKey {
  starts: ViolationRef[];
  /** Starts at or before this event time were already reported (or are too old to count). */
  armedAfter: number;
  /** Event time of the last alert for this key (cooldown). */
  lastFire: number;
}

export type CountState = Map<string, CountKey>;

export function countKey(spec: CountSpec, r: ViolationRef): string {
  return spec.groupBy === 'zone' ? `zone:${r.c}/${r.z}:${r.type}` : `camera:${r.c}:${r.type}`;
}

/**
 * `count`: alert as soon as at least `threshold` violation starts of one key fall within `window`
 * of event time (late starts within grace included). Starts an alert reported are consumed: the
 * next alert for the key needs `threshold` new starts, and `cooldown` of event time since the last.
 * The alert id is the rule + key + the first start of the window, so a replay gives the same id.
 */
export function countOnStart(spec: CountSpec, state: CountState, r: ViolationRef, out: Emitter, clock: RuleClock): void {
  if (!spec.activeAt(r.t)) return;
  const key = countKey(spec, r);
  let k = state.get(key);
  if (!k) {
    k = { starts: [], armedAfter: Number.NEGATIVE_INFINITY, lastFire: Number.NEGATIVE_INFINITY };
    state.set(key, k);
  }
  if (r.t <= k.armedAfter) return;
  const s = k.starts;
  if (s.some((x) => x.v === r.v)) return; // the same violation's start seen twice
  let idx = s.length;
  while (idx > 0 && (s[idx - 1] as ViolationRef).t > r.t) idx--;
  s.splice(idx, 0, r);
  const n = spec.threshold;
  for (let i = Math.max(0, idx - n + 1); i <= idx; i++) {
    const j = i + n - 1;
    if (j >= s.length) break;
    const first = s[i] as ViolationRef;
    const last = s[j] as ViolationRef;
    if (last.t - first.t >= spec.windowMs) continue;
    if (last.t < k.lastFire + spec.cooldownMs) {
      out.suppressed(spec.id, 'cooldown');
      return;
    }
    const inWindow = s.filter((x) => x.t >= first.t && x.t < first.t + spec.windowMs);
    const lastT = inWindow.reduce((m, x) => Math.max(m, x.t), last.t);
    out.alert(
      buildAlert(
        spec,
        {
          key,
          discriminator: first.t,
          type: r.type,
          windowStart: first.t,
          windowEnd: first.t + spec.windowMs,
          eventTime: last.t,
          count: inWindow.length,
          refs: inWindow,
          title: { window: humanDuration(spec.windowMs), threshold: spec.threshold },
        },
        clock.wallNow,
      ),
    );
    k.lastFire = last.t;
    k.armedAfter = lastT;
    k.starts = s.filter((x) => x.t > lastT);
    return;
  }
}

/** Drop starts that can no longer share a window with an event that is not late. */
export function countExpire(spec: CountSpec, state: CountState, watermark: number): void {
  const oldest = watermark - spec.graceMs - spec.windowMs;
  for (const [key, k] of state) {
    if (k.starts.length > 0 && (k.starts[0] as ViolationRef).t < oldest) k.starts = k.starts.filter((x) => x.t >= oldest);
    const horizon = watermark - spec.graceMs;
    if (k.starts.length === 0 && k.lastFire + spec.cooldownMs < horizon && k.armedAfter < horizon) state.delete(key);
  }
}

export function countOpenWindows(state: CountState): number {
  let n = 0;
  for (const k of state.values()) if (k.starts.length > 0) n++;
  return n;
}
