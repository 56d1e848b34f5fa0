import type { Alert, DetectionEvent, InspectionRecord, ShopScoreChange } from '@streetwatch/schemas';
import type { CountSpec, DwellSpec, RuleSpec, ScoreSpec, Settings } from '../config/load.js';
import { countExpire, countOnStart, countOpenWindows, type CountState } from '../rules/count.js';
import { dwellExpire, dwellOnEvent, dwellOnTime, dwellOpenTimers, newDwellState, type DwellState } from '../rules/dwell.js';
import { newScoreState, scoreAdd, scoreAdvance, scoreExpire, type ScoreState } from '../rules/score.js';
import { refOf, type Emitter } from '../rules/types.js';
import { parseTime } from '../time/iso.js';
import { combinedWatermark, PartitionClock } from '../time/watermark.js';
import { decodeRuleState, encodeRuleState, type EngineSnapshot } from './snapshot.js';
import type { ClockRole, RuleSlot } from './types.js';

export type { ClockRole, RuleSlot } from './types.js';

/** What one step of the engine decided; the consumer produces it before committing. */
export class EngineOutput implements Emitter {
  readonly alerts: Alert[] = [];
  readonly scoreChanges: ShopScoreChange[] = [];
  /** Detection events too late for at least one rule (→ the late topic). */
  readonly late: DetectionEvent[] = [];
  /** Violation starts for score rules (→ the shop-keyed repartition topic). */
  readonly forward: DetectionEvent[] = [];
  readonly lateByRule = new Map<string, number>();
  readonly suppressedBy = new Map<string, number>();
  alert(a: Alert): void {
    this.alerts.push(a);
  }
  scoreChange(c: ShopScoreChange): void {
    this.scoreChanges.push(c);
  }
  suppressed(ruleId: string, reason: string): void {
    const k = `${ruleId}|${reason}`;
    this.suppressedBy.set(k, (this.suppressedBy.get(k) ?? 0) + 1);
  }
  get empty(): boolean {
    return this.alerts.length + this.scoreChanges.length + this.late.length + this.forward.length === 0;
  }
}

/**
 * The keyed state of one task (one partition number across the input topics) and the rules over
 * it. Pure and synchronous: no I/O, time comes in as arguments, so tests drive it by hand and a
 * snapshot restores it exactly.
 */
export class TaskEngine {
  private slots = new Map<string, RuleSlot>();
  private readonly clocks: Record<ClockRole, PartitionClock>;

  constructor(
    readonly task: number,
    rules: readonly RuleSpec[],
    private readonly time: Settings['time'],
    wallNow: number,
    snap?: EngineSnapshot,
  ) {
    const clock = (role: ClockRole): PartitionClock =>
      new PartitionClock(time.maxOutOfOrdernessMs, time.idleTimeoutMs, wallNow, snap?.clocks[role]);
    this.clocks = { detections: clock('detections'), shop: clock('shop'), inspections: clock('inspections') };
    const stored = new Map(Object.entries(snap?.rules ?? {}));
    for (const spec of rules) {
      const s = stored.get(spec.id);
      this.slots.set(spec.id, s && s.kind === spec.kind ? decodeRuleState(spec, s) : fresh(spec));
    }
  }

  /** Swap in a new rule set: rules whose id and kind stay keep their state; others start empty. */
  setRules(rules: readonly RuleSpec[]): void {
    const next = new Map<string, RuleSlot>();
    for (const spec of rules) {
      const old = this.slots.get(spec.id);
      next.set(spec.id, old && old.spec.kind === spec.kind ? ({ spec, state: old.state } as RuleSlot) : fresh(spec));
    }
    this.slots = next;
  }

  watermark(role: ClockRole): number {
    return this.clocks[role].watermark;
  }

  /** Detection events of this task's detections partition, in offset order. */
  detections(events: readonly DetectionEvent[], wallNow: number, out = new EngineOutput()): EngineOutput {
    const clock = this.clocks.detections;
    const slots = [...this.slots.values()];
    const ctx = { wallNow };
    for (const e of events) {
      const t = parseTime(e.eventTime);
      const wm = clock.watermark;
      let late = false;
      let forward = false;
      let ref;
      for (const slot of slots) {
        const spec = slot.spec;
        if (spec.kind === 'count' && e.phase !== 'start') continue;
        if (spec.kind === 'score' && (e.phase !== 'start' || e.shopId === undefined)) continue;
        if (!spec.matches(e)) continue;
        if (t < wm - spec.graceMs) {
          late = true;
          out.lateByRule.set(spec.id, (out.lateByRule.get(spec.id) ?? 0) + 1);
          continue;
        }
        ref ??= refOf(e, t);
        if (slot.spec.kind === 'count') countOnStart(slot.spec, slot.state as CountState, ref, out, ctx);
        else if (slot.spec.kind === 'dwell') dwellOnEvent(slot.spec, slot.state as DwellState, e, ref, out, ctx);
        else forward = true;
      }
      if (late) out.late.push(e);
      if (forward) out.forward.push(e);
      clock.observe(t, wallNow);
      if (clock.watermark > wm) this.onDetectionTime(out, wallNow, false);
    }
    return out;
  }

  /** Violation starts re-keyed by shop (this task's partition of the repartition topic). */
  shopEvents(events: readonly DetectionEvent[], wallNow: number, out = new EngineOutput()): EngineOutput {
    const ctx = { wallNow };
    for (const e of events) {
      const t = parseTime(e.eventTime);
      this.clocks.shop.observe(t, wallNow);
      if (e.shopId === undefined) continue;
      for (const slot of this.slots.values()) {
        if (slot.spec.kind !== 'score' || !slot.spec.matches(e)) continue;
        const ref = refOf(e, t);
        scoreAdd(slot.spec, slot.state as ScoreState, { t, id: e.violationId, shop: e.shopId, points: slot.spec.weight(e.type), ref }, out, ctx);
      }
    }
    this.onShopTime(out, wallNow);
    return out;
  }

  inspections(records: readonly InspectionRecord[], wallNow: number, out = new EngineOutput()): EngineOutput {
    const ctx = { wallNow };
    for (const r of records) {
      const t = parseTime(r.eventTime);
      this.clocks.inspections.observe(t, wallNow);
      for (const slot of this.slots.values()) {
        if (slot.spec.kind !== 'score' || !slot.spec.inspections || !slot.spec.takesShop(r.shopId)) continue;
        scoreAdd(slot.spec, slot.state as ScoreState, { t, id: `record:${r.recordId}`, shop: r.shopId, points: r.points }, out, ctx);
      }
    }
    this.onShopTime(out, wallNow);
    return out;
  }

  /** The partition behind `role` is not quiet (unread messages, or a rebalance in progress). */
  touch(role: ClockRole, wallNow: number): void {
    this.clocks[role].touch(wallNow);
  }

  /** Wall-clock tick: advance idle partitions, fire what came due, drop expired state. */
  punctuate(wallNow: number, out = new EngineOutput()): EngineOutput {
    this.clocks.detections.punctuate(wallNow);
    this.clocks.shop.punctuate(wallNow);
    this.clocks.inspections.punctuate(wallNow);
    this.onDetectionTime(out, wallNow, true);
    this.onShopTime(out, wallNow, true);
    return out;
  }

  /** Open windows (count keys with starts), timers (dwell violations not yet decided), shops scored. */
  sizes(): { windows: number; timers: number; shops: number } {
    let windows = 0;
    let timers = 0;
    let shops = 0;
    for (const slot of this.slots.values()) {
      if (slot.spec.kind === 'count') windows += countOpenWindows(slot.state as CountState);
      else if (slot.spec.kind === 'dwell') timers += dwellOpenTimers(slot.state as DwellState);
      else shops += (slot.state as ScoreState).shops.size;
    }
    return { windows, timers, shops };
  }

  snapshot(): EngineSnapshot {
    const rules: EngineSnapshot['rules'] = {};
    for (const [id, slot] of this.slots) rules[id] = encodeRuleState(slot);
    return {
      v: 1,
      clocks: {
        detections: this.clocks.detections.snapshot(),
        shop: this.clocks.shop.snapshot(),
        inspections: this.clocks.inspections.snapshot(),
      },
      rules,
    };
  }

  private onDetectionTime(out: EngineOutput, wallNow: number, expire: boolean): void {
    const wm = this.clocks.detections.watermark;
    if (!Number.isFinite(wm)) return;
    const ctx = { wallNow };
    for (const slot of this.slots.values()) {
      if (slot.spec.kind === 'dwell') {
        dwellOnTime(slot.spec, slot.state as DwellState, wm, out, ctx);
        if (expire) dwellExpire(slot.spec, slot.state as DwellState, wm, this.time.stateTtlMs);
      } else if (slot.spec.kind === 'count' && expire) {
        countExpire(slot.spec, slot.state as CountState, wm);
      }
    }
  }

  private onShopTime(out: EngineOutput, wallNow: number, expire = false): void {
    const wm = combinedWatermark([this.clocks.shop, this.clocks.inspections]);
    if (!Number.isFinite(wm)) return;
    const ctx = { wallNow };
    for (const slot of this.slots.values()) {
      if (slot.spec.kind !== 'score') continue;
      scoreAdvance(slot.spec, slot.state as ScoreState, wm, out, ctx);
      if (expire) scoreExpire(slot.state as ScoreState, this.time.stateTtlMs);
    }
  }
}

function fresh(spec: RuleSpec): RuleSlot {
  if (spec.kind === 'count') return { spec, state: new Map() };
  if (spec.kind === 'dwell') return { spec, state: newDwellState() };
  return { spec, state: newScoreState() };
}
