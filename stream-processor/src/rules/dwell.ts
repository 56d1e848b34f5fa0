import type { DetectionEvent } from '@streetwatch/schemas';
import type { DwellSpec } from '../config/load.js';
import { humanDuration } from '../config/duration.js';
import { buildAlert } from './alert.js';
import { MinHeap } from '../time/heap.js';
import { parseTime } from '../time/iso.js';
import type { Emitter, RuleClock, ViolationRef } from './types.js';

/** One violation the rule is timing. */
export interface OpenViolation {
  ref: ViolationRef;
  startedAt: number;
  due: number;
  /** Last event time seen for it (state TTL). */
  last: number;
  fired: boolean;
}

export interface DwellState {
  open: Map<string, OpenViolation>;
  /** Timers: (due, violationId), lazily invalidated. */
  timers: MinHeap<[number, string]>;
  /** Event time of the last alert per camera zone (cooldown). */
  zoneLastFire: Map<string, number>;
}

export function newDwellState(): DwellState {
  return { open: new Map(), timers: new MinHeap((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)), zoneLastFire: new Map() };
}

/**
 * `dwell`: one violation lasting at least `minDuration` since its `startedAt`. A keyed timer per
 * violation fires when the watermark minus grace passes `startedAt + minDuration`, or at once when
 * an update already proves the duration; its `end` before that cancels it. One alert per violation
 * (id = rule + violationId); `cooldown` holds back alerts for other violations in the same zone.
 */
export function dwellOnEvent(spec: DwellSpec, st: DwellState, e: DetectionEvent, ref: ViolationRef, out: Emitter, clock: RuleClock): void {
  let o = st.open.get(e.violationId);
  if (!o) {
    const startedAt = parseTime(e.startedAt);
    o = { ref, startedAt, due: startedAt + spec.minDurationMs, last: ref.t, fired: false };
    st.open.set(e.violationId, o);
    if (ref.t < o.due) st.timers.push([o.due, e.violationId]);
  } else {
    o.last = Math.max(o.last, ref.t);
    if (ref.ev) o.ref = { ...o.ref, ev: ref.ev };
  }
  if (!o.fired && ref.t >= o.due) fire(spec, st, o, out, clock);
  if (e.phase === 'end') st.open.delete(e.violationId);
}

/** Fire the timers that came due and drop violations not heard of for `ttlMs`. */
export function dwellOnTime(spec: DwellSpec, st: DwellState, watermark: number, out: Emitter, clock: RuleClock): void {
  const limit = watermark - spec.graceMs;
  for (let top = st.timers.peek(); top && top[0] <= limit; top = st.timers.peek()) {
    st.timers.pop();
    const o = st.open.get(top[1]);
    if (o && !o.fired && o.due === top[0]) fire(spec, st, o, out, clock);
  }
}

export function dwellExpire(spec: DwellSpec, st: DwellState, watermark: number, ttlMs: number): void {
  const limit = watermark - spec.graceMs - ttlMs;
  for (const [id, o] of st.open) if (o.last < limit && (o.fired || o.due < limit)) st.open.delete(id);
  for (const [zone, t] of st.zoneLastFire) if (t + spec.cooldownMs < watermark - spec.graceMs) st.zoneLastFire.delete(zone);
  if (st.timers.size > 4 * st.open.size + 1024) {
    st.timers = rebuildTimers(st.open);
  }
}

export function rebuildTimers(open: Map<string, OpenViolation>): MinHeap<[number, string]> {
  const h = newDwellState().timers;
  for (const [id, o] of open) if (!o.fired) h.push([o.due, id]);
  return h;
}

export function dwellOpenTimers(st: DwellState): number {
  let n = 0;
  for (const o of st.open.values()) if (!o.fired) n++;
  return n;
}

function fire(spec: DwellSpec, st: DwellState, o: OpenViolation, out: Emitter, clock: RuleClock): void {
  o.fired = true;
  if (!spec.activeAt(o.due)) {
    out.suppressed(spec.id, 'schedule');
    return;
  }
  const zone = `${o.ref.c}/${o.ref.z}`;
  if (spec.cooldownMs > 0) {
    const last = st.zoneLastFire.get(zone);
    if (last !== undefined && o.due < last + spec.cooldownMs && o.due >= last) {
      out.suppressed(spec.id, 'cooldown');
      return;
    }
    st.zoneLastFire.set(zone, Math.max(last ?? o.due, o.due));
  }
  out.alert(
    buildAlert(
      spec,
      {
        key: `violation:${o.ref.v}`,
        discriminator: o.ref.v,
        type: o.ref.type,
        windowStart: o.startedAt,
        windowEnd: o.due,
        eventTime: o.due,
        count: 1,
        refs: [o.ref],
        title: { duration: humanDuration(spec.minDurationMs) },
      },
      clock.wallNow,
    ),
  );
}
