import type { CountSpec, DwellSpec, RuleSpec, ScoreSpec } from '../config/load.js';
import type { CountKey, CountState } from '../rules/count.js';
import { newDwellState, rebuildTimers, type DwellState, type OpenViolation } from '../rules/dwell.js';
import { newPending, type Contribution, type ScoreState, type ShopScore } from '../rules/score.js';
import type { ClockSnapshot } from '../time/watermark.js';
import type { ClockRole, RuleSlot } from './types.js';

/**
 * A task's state as JSON. Infinite times (never happened) are stored as null. Version `v` lets a
 * future format migrate or refuse an old one.
 */
export interface EngineSnapshot {
  readonly v: 1;
  readonly clocks: Readonly<Record<ClockRole, ClockSnapshot>>;
  readonly rules: Record<string, RuleStateJson>;
}

export type RuleStateJson =
  | { kind: 'count'; keys: Array<[string, { starts: CountKey['starts']; armedAfter: number | null; lastFire: number | null }]> }
  | { kind: 'dwell'; open: Array<[string, OpenViolation]>; zoneLastFire: Array<[string, number]> }
  | {
      kind: 'score';
      releasedUpTo: number | null;
      pending: Contribution[];
      shops: Array<[string, Omit<ShopScore, 'seen' | 'lastRed'> & { lastRed: number | null; seen: Array<[string, number]> }]>;
    };

const out = (n: number): number | null => (Number.isFinite(n) ? n : null);
const back = (n: number | null | undefined): number => (n === null || n === undefined ? Number.NEGATIVE_INFINITY : n);

export function encodeRuleState(slot: RuleSlot): RuleStateJson {
  if (slot.spec.kind === 'count') {
    const st = slot.state as CountState;
    return {
      kind: 'count',
      keys: [...st].map(([k, v]) => [k, { starts: v.starts, armedAfter: out(v.armedAfter), lastFire: out(v.lastFire) }]),
    };
  }
  if (slot.spec.kind === 'dwell') {
    const st = slot.state as DwellState;
    return { kind: 'dwell', open: [...st.open], zoneLastFire: [...st.zoneLastFire] };
  }
  const st = slot.state as ScoreState;
  return {
    kind: 'score',
    releasedUpTo: out(st.releasedUpTo),
    pending: st.pending.toArray(),
    shops: [...st.shops].map(([id, s]) => [id, { ...s, lastRed: out(s.lastRed), seen: [...s.seen] }]),
  };
}

export function decodeRuleState(spec: RuleSpec, json: RuleStateJson): RuleSlot {
  if (spec.kind === 'count' && json.kind === 'count') {
    const st: CountState = new Map(
      json.keys.map(([k, v]) => [k, { starts: v.starts, armedAfter: back(v.armedAfter), lastFire: back(v.lastFire) }]),
    );
    return { spec: spec as CountSpec, state: st };
  }
  if (spec.kind === 'dwell' && json.kind === 'dwell') {
    const st = newDwellState();
    st.open = new Map(json.open);
    st.zoneLastFire = new Map(json.zoneLastFire);
    st.timers = rebuildTimers(st.open);
    return { spec: spec as DwellSpec, state: st };
  }
  if (spec.kind === 'score' && json.kind === 'score') {
    const pending = newPending();
    for (const c of json.pending) pending.push(c);
    const shops = new Map<string, ShopScore>(
      json.shops.map(([id, s]) => [id, { ...s, lastRed: back(s.lastRed), seen: new Map(s.seen) }]),
    );
    return { spec: spec as ScoreSpec, state: { shops, pending, releasedUpTo: back(json.releasedUpTo) } };
  }
  throw new TypeError(`stored state of kind ${json.kind} does not fit rule ${spec.id} (${spec.kind})`);
}
