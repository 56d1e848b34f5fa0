import { createHash } from 'node:crypto';
import type { BBox } from '../frame.js';
import type { StaticBlob } from '../motion/static-objects.js';
import type { Track } from '../tracker/tracker.js';
import { resolveZone, type RulesConfig, type ViolationType, type Zone } from './config.js';
import { observeZone, type Observation } from './observe.js';
import { inWindows } from './schedule.js';

export type ViolationPhase = 'start' | 'update' | 'end';
export type EndReason = 'left' | 'lost' | 'schedule' | 'shutdown' | 'camera_offline' | 'camera_tampered';

/** One step of a violation's lifecycle. Times come from frame eventTime. */
export interface ViolationEvent {
  readonly phase: ViolationPhase;
  /** Same for start, updates and end; deterministic from camera, zone, subject and start time. */
  readonly violationId: string;
  readonly type: ViolationType;
  readonly cameraId: string;
  readonly zoneId: string;
  readonly trackId?: string;
  readonly objectClass: string;
  readonly score: number;
  readonly bbox: BBox;
  /** start/update: now - startedAt; end: last time the rule held - startedAt. */
  readonly dwellSeconds: number;
  /** When the rule began to hold (credited from the evidence, e.g. stationarySince). */
  readonly startedAt: Date;
  readonly eventTime: Date;
  readonly endReason?: EndReason;
}

export interface RuleInput {
  readonly eventTime: Date;
  readonly tracks: readonly Track[];
  readonly staticBlobs: readonly StaticBlob[];
}

interface Candidate {
  readonly zone: Zone;
  readonly key: string;
  readonly since: number;
  lastTrue: number;
  last: Observation;
  violation?: { id: string; lastUpdate: number };
}

/** Deterministic id: a replay of the same frames yields the same violationId. */
export function violationIdOf(cameraId: string, zoneId: string, type: ViolationType, key: string, startedAt: number): string {
  const h = createHash('sha256').update(`${cameraId}|${zoneId}|${type}|${key}|${new Date(startedAt).toISOString()}`).digest('hex');
  return `v-${h.slice(0, 32)}`;
}

/**
 * Violation lifecycle for one camera: a pure state machine (no I/O, no clock).
 * Per (zone, subject): `start` once the zone's rule has held for dwellSeconds,
 * `update` at most every updateIntervalSeconds, `end` when the subject visibly left
 * the zone, was absent longer than gapSeconds, or the zone's schedule ended.
 * Absences up to gapSeconds are bridged: one violation per stay.
 */
export class RuleEngine {
  private readonly zones: readonly Zone[];
  private readonly candidates = new Map<string, Candidate>();
  /**
   * Per zone: since when its schedule has been active; dwell cannot be credited from
   * before. -Infinity when it was already active at the first frame (evidence decides).
   */
  private readonly activeSince = new Map<string, number>();
  private readonly seenInactive = new Set<string>();

  constructor(
    private readonly cameraId: string,
    private readonly config: RulesConfig,
  ) {
    this.zones = config.zones.map(resolveZone);
  }

  /** Number of violations currently open (started, not ended). */
  get openCount(): number {
    let n = 0;
    for (const c of this.candidates.values()) if (c.violation) n++;
    return n;
  }

  step(input: RuleInput): ViolationEvent[] {
    const now = input.eventTime.getTime();
    const events: ViolationEvent[] = [];
    for (const zone of this.zones) {
      const active = (zone.schedule.length === 0 || inWindows(input.eventTime, zone.schedule, zone.timezone)) && !inWindows(input.eventTime, zone.muted, zone.timezone);
      if (!active) {
        this.activeSince.delete(zone.id);
        this.seenInactive.add(zone.id);
        for (const [k, c] of this.candidates) {
          if (c.zone !== zone) continue;
          if (c.violation) events.push(this.event('end', c, now, 'schedule'));
          this.candidates.delete(k);
        }
        continue;
      }
      if (!this.activeSince.has(zone.id)) this.activeSince.set(zone.id, this.seenInactive.has(zone.id) ? now : -Infinity);
      const activeFrom = this.activeSince.get(zone.id) ?? now;
      const { holding, left } = observeZone(zone, input.tracks, input.staticBlobs, now);
      const seen = new Set<string>();
      for (const obs of holding) {
        const k = `${zone.id}\u0000${obs.key}`;
        seen.add(k);
        let c = this.candidates.get(k);
        if (!c) {
          c = { zone, key: obs.key, since: Math.min(now, Math.max(obs.since, activeFrom)), lastTrue: now, last: obs };
          this.candidates.set(k, c);
        }
        c.lastTrue = now;
        c.last = obs;
        if (!c.violation) {
          if ((now - c.since) / 1000 >= zone.dwellSeconds) {
            c.violation = { id: violationIdOf(this.cameraId, zone.id, zone.type, c.key, c.since), lastUpdate: now };
            events.push(this.event('start', c, now));
          }
        } else if ((now - c.violation.lastUpdate) / 1000 >= this.config.updateIntervalSeconds) {
          c.violation.lastUpdate = now;
          events.push(this.event('update', c, now));
        }
      }
      for (const [k, c] of this.candidates) {
        if (c.zone !== zone || seen.has(k)) continue;
        const reason: EndReason | undefined = left.has(c.key) ? 'left' : (now - c.lastTrue) / 1000 > zone.gapSeconds ? 'lost' : undefined;
        if (!reason) continue; // bridged gap
        if (c.violation) events.push(this.event('end', c, now, reason));
        this.candidates.delete(k);
      }
    }
    return events;
  }

  /**
   * End every open violation and forget all state: at a graceful shutdown, or when the camera
   * stayed offline past its grace (nothing can be said about the scene any more).
   */
  close(eventTime: Date, reason: 'shutdown' | 'camera_offline' | 'camera_tampered' = 'shutdown'): ViolationEvent[] {
    const now = eventTime.getTime();
    const events: ViolationEvent[] = [];
    for (const c of this.candidates.values()) if (c.violation) events.push(this.event('end', c, now, reason));
    this.candidates.clear();
    this.activeSince.clear();
    this.seenInactive.clear();
    return events;
  }

  private event(phase: ViolationPhase, c: Candidate, now: number, endReason?: EndReason): ViolationEvent {
    const o = c.last;
    const until = phase === 'end' ? c.lastTrue : now;
    return {
      phase,
      violationId: c.violation?.id ?? '',
      type: c.zone.type,
      cameraId: this.cameraId,
      zoneId: c.zone.id,
      ...(o.trackId !== undefined && { trackId: o.trackId }),
      objectClass: o.objectClass,
      score: Math.min(1, Math.max(0, o.score)),
      bbox: o.bbox,
      dwellSeconds: Math.max(0, (until - c.since) / 1000),
      startedAt: new Date(c.since),
      eventTime: new Date(now),
      ...(endReason !== undefined && { endReason }),
    };
  }
}
