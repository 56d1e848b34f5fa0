import type { Alert, DetectionEvent, EvidenceRef, ShopScoreChange, ViolationType } from '@streetwatch/schemas';

/** What one violation contributes to a rule's state: compact, JSON-serialisable (snapshots). */
export interface ViolationRef {
  /** Event time (ms). */
  readonly t: number;
  /** violationId */
  readonly v: string;
  readonly type: ViolationType;
  /** cameraId, zoneId and the optional site fields. */
  readonly c: string;
  readonly z: string;
  readonly g?: string;
  readonly m?: string;
  readonly s?: string;
  readonly si?: string;
  readonly ev?: EvidenceRef;
}

export function refOf(e: DetectionEvent, t: number): ViolationRef {
  // Hot path (once per event): optional fields assigned in place, no spread temporaries;
  // same keys in the same order as before (snapshots serialise it).
  const r: { -readonly [K in keyof ViolationRef]: ViolationRef[K] } = { t, v: e.violationId, type: e.type, c: e.cameraId, z: e.zoneId };
  if (e.gridId !== undefined) r.g = e.gridId;
  if (e.communityId !== undefined) r.m = e.communityId;
  if (e.shopId !== undefined) r.s = e.shopId;
  if (e.siteId !== undefined) r.si = e.siteId;
  if (e.evidence !== undefined) r.ev = e.evidence;
  return r;
}

/** Where a rule's decisions go; the engine collects them per batch and the consumer produces them. */
export interface Emitter {
  alert(a: Alert): void;
  scoreChange(c: ShopScoreChange): void;
  /** A firing condition held back (cooldown, schedule, not re-armed), for the metric. */
  suppressed(ruleId: string, reason: 'cooldown' | 'schedule' | 'rearm'): void;
}

/** Wall-clock now, for the `createdAt` of what a rule emits (never used in a decision). */
export interface RuleClock {
  readonly wallNow: number;
}
