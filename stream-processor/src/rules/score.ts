import type { ShopColour, ViolationType } from '@streetwatch/schemas';
import type { ScoreSpec } from '../config/load.js';
import { iso } from '@streetwatch/platform';
import { buildAlert, stableId } from './alert.js';
import { MinHeap } from '../time/heap.js';
import type { Emitter, RuleClock, ViolationRef } from './types.js';

/** Something that moves a shop's score: a violation start or an inspection record. */
export interface Contribution {
  readonly t: number;
  /** violationId or recordId (deduplication). */
  readonly id: string;
  readonly shop: string;
  readonly points: number;
  /** Present for violations: what the alert will cite. */
  readonly ref?: ViolationRef;
}

export interface ShopScore {
  /** Score value at event time `at`. */
  value: number;
  at: number;
  colour: ShopColour;
  /** May alert on the next turn to red. */
  armed: boolean;
  lastRed: number;
  /** Recent violations (newest last, bounded): the evidence of a red alert. */
  recent: ViolationRef[];
  /** Contribution ids already applied, with their event time (dedup of replays). */
  seen: Map<string, number>;
}

export interface ScoreState {
  shops: Map<string, ShopScore>;
  /** Contributions waiting for the watermark, applied in event-time order for determinism. */
  pending: MinHeap<Contribution>;
  /** Everything at or before this event time has been applied. */
  releasedUpTo: number;
}

const RECENT_MAX = 50;
const RANK: Record<ShopColour, number> = { green: 0, yellow: 1, red: 2 };

export function newScoreState(): ScoreState {
  return { shops: new Map(), pending: newPending(), releasedUpTo: Number.NEGATIVE_INFINITY };
}

export function newPending(): MinHeap<Contribution> {
  return new MinHeap<Contribution>((a, b) => a.t - b.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function violationPoints(spec: ScoreSpec, type: ViolationType): number {
  return spec.weight(type);
}

/**
 * `score`: a per-shop red/yellow/green profile. Violation starts add weighted points and
 * inspection records add (or remove) their points; points halve every `halfLife` of event time.
 * Contributions wait until the watermark minus grace passes them and are then applied in
 * event-time order, so the colour history is the same on every replay. Colour changes that come
 * from decay alone happen at the exact event time the score crosses a threshold. Every colour
 * change is emitted; turning red alerts (once per red episode: the shop must fall to `rearmAt`
 * first, and `cooldown` must have passed).
 */
export function scoreAdd(spec: ScoreSpec, st: ScoreState, c: Contribution, out: Emitter, clock: RuleClock): void {
  if (c.t > st.releasedUpTo) {
    st.pending.push(c);
    return;
  }
  // Behind what was already applied (a straggler from another partition): apply now, decayed.
  apply(spec, st, c, out, clock);
}

/** Apply every pending contribution up to the watermark minus grace, and decay crossings up to it. */
export function scoreAdvance(spec: ScoreSpec, st: ScoreState, watermark: number, out: Emitter, clock: RuleClock): void {
  const limit = watermark - spec.graceMs;
  if (!(limit > st.releasedUpTo)) return;
  for (let top = st.pending.peek(); top && top.t <= limit; top = st.pending.peek()) {
    st.pending.pop();
    apply(spec, st, top, out, clock);
  }
  for (const [shopId, s] of st.shops) crossings(spec, shopId, s, limit, out);
  st.releasedUpTo = limit;
}

export function scoreExpire(st: ScoreState, ttlMs: number): void {
  const limit = st.releasedUpTo - ttlMs;
  for (const [shopId, s] of st.shops) {
    for (const [id, t] of s.seen) if (t < limit) s.seen.delete(id);
    if (s.colour === 'green' && s.at < limit && s.seen.size === 0 && s.armed) st.shops.delete(shopId);
  }
}

export function colourOf(spec: ScoreSpec, v: number): ShopColour {
  return v >= spec.red ? 'red' : v >= spec.yellow ? 'yellow' : 'green';
}

/** Score of a shop at event time `t` (decayed, no side effects). */
export function scoreAt(spec: ScoreSpec, s: ShopScore, t: number): number {
  return t >= s.at ? s.value * Math.pow(2, -(t - s.at) / spec.halfLifeMs) : s.value;
}

function shopOf(st: ScoreState, shopId: string, t: number): ShopScore {
  let s = st.shops.get(shopId);
  if (!s) {
    s = { value: 0, at: t, colour: 'green', armed: true, lastRed: Number.NEGATIVE_INFINITY, recent: [], seen: new Map() };
    st.shops.set(shopId, s);
  }
  return s;
}

function apply(spec: ScoreSpec, st: ScoreState, c: Contribution, out: Emitter, clock: RuleClock): void {
  const s = shopOf(st, c.shop, c.t);
  if (s.seen.has(c.id)) return;
  s.seen.set(c.id, c.t);
  if (c.t >= s.at) {
    crossings(spec, c.shop, s, c.t, out);
    s.value = scoreAt(spec, s, c.t) + c.points;
    s.at = c.t;
  } else {
    s.value += c.points * Math.pow(2, -(s.at - c.t) / spec.halfLifeMs);
  }
  if (c.ref) {
    s.recent.push(c.ref);
    if (s.recent.length > RECENT_MAX) s.recent.splice(0, s.recent.length - RECENT_MAX);
  }
  const previous = s.colour;
  const colour = colourOf(spec, s.value);
  if (colour !== previous) change(spec, c.shop, s, colour, s.at, out);
  if (colour === 'red' && previous !== 'red') redAlert(spec, c.shop, s, out, clock);
}

function change(spec: ScoreSpec, shopId: string, s: ShopScore, colour: ShopColour, t: number, out: Emitter): void {
  out.scoreChange({
    schemaVersion: 1,
    eventId: stableId('ssc-', spec.id, shopId, t, colour),
    ruleId: spec.id,
    shopId,
    score: Math.round(s.value * 100) / 100,
    colour,
    previousColour: s.colour,
    eventTime: iso(t),
  });
  s.colour = colour;
  if (RANK[colour] <= RANK[spec.rearmAt]) s.armed = true;
}

/** Decay-only colour changes up to `upTo`, each at the event time the score crosses a threshold. */
function crossings(spec: ScoreSpec, shopId: string, s: ShopScore, upTo: number, out: Emitter): void {
  while (s.colour !== 'green' && s.value > 0) {
    const floor = s.colour === 'red' ? spec.red : spec.yellow;
    const tc = s.at + spec.halfLifeMs * Math.log2(s.value / floor);
    if (!(tc <= upTo)) return;
    s.value = floor * (1 - 1e-9);
    s.at = Math.max(s.at, tc);
    change(spec, shopId, s, s.colour === 'red' ? 'yellow' : 'green', s.at, out);
  }
}

function redAlert(spec: ScoreSpec, shopId: string, s: ShopScore, out: Emitter, clock: RuleClock): void {
  const t = s.at;
  if (!s.armed) return out.suppressed(spec.id, 'rearm');
  if (t < s.lastRed + spec.cooldownMs) return out.suppressed(spec.id, 'cooldown');
  if (!spec.activeAt(t)) return out.suppressed(spec.id, 'schedule');
  s.armed = false;
  s.lastRed = t;
  const refs = s.recent.filter((r) => r.t <= t && r.t >= t - 4 * spec.halfLifeMs);
  const key = `shop:${shopId}`;
  const score = Math.round(s.value * 100) / 100;
  out.alert(
    buildAlert(
      spec,
      {
        key,
        discriminator: t,
        type: 'shop_red',
        windowStart: refs.length > 0 ? Math.min(...refs.map((r) => r.t)) : t,
        windowEnd: t,
        eventTime: t,
        count: refs.length,
        refs,
        shopId,
        title: { score, colour: 'red' },
      },
      clock.wallNow,
    ),
  );
}
