/**
 * Camera smart events -> the gateway's violation lifecycle (start / update / end, one stable
 * violationId), so a department gets one stream whoever detected it. A pure state machine: the
 * caller passes the times (no clock, no I/O).
 *
 * One violation per (event type, channel, region): the first `active` alert starts it, later ones
 * update it (at most every `updateIntervalSeconds`), an `inactive` alert ends it (`left`), and so
 * does silence: many smart events (line crossing, region entrance) are pulses that never send an
 * `inactive`, so an event not repeated for `endAfterSeconds` (gateway clock) ends (`lost`).
 * Event time is the camera's `dateTime` when it carries a zone, else the time the gateway got it.
 */
import type { BBox } from '../frame.js';
import { violationIdOf, type EndReason, type ViolationEvent } from '../rules/engine.js';
import { regionBox, type IsapiAlert } from './alert.js';
import type { IsapiEventMapping } from './config.js';

export interface CameraEventLifecycleOptions {
  /** eventType (compared case-insensitively) -> violation. */
  events: Readonly<Record<string, IsapiEventMapping>>;
  endAfterSeconds: number;
  updateIntervalSeconds: number;
  /** Only alerts of this channel; undefined: all. */
  channel?: number;
}

interface Open {
  readonly id: string;
  readonly mapping: IsapiEventMapping;
  readonly zoneId: string;
  readonly objectClass: string;
  readonly startedAt: Date;
  bbox: BBox;
  lastEventTime: Date;
  /** Gateway time of the last active alert (silence is measured on this clock). */
  lastSeenAt: number;
  lastUpdateAt: number;
}

export type AlertOutcome = 'mapped' | 'heartbeat' | 'unmapped' | 'other_channel' | 'ignored';

export class CameraEventLifecycle {
  private readonly open = new Map<string, Open>();
  private readonly mappings: ReadonlyMap<string, IsapiEventMapping>;

  constructor(
    private readonly cameraId: string,
    private readonly opts: CameraEventLifecycleOptions,
  ) {
    this.mappings = new Map(Object.entries(opts.events).map(([k, v]) => [k.toLowerCase(), v]));
  }

  get openCount(): number {
    return this.open.size;
  }

  /** What a received alert means, and the lifecycle events it causes. `receivedAt`: gateway clock (ms). */
  onAlert(a: IsapiAlert, receivedAt: number): { outcome: AlertOutcome; events: ViolationEvent[] } {
    if (a.heartbeat) return { outcome: 'heartbeat', events: [] };
    if (this.opts.channel !== undefined && a.channel !== undefined && a.channel !== this.opts.channel) return { outcome: 'other_channel', events: [] };
    const mapping = this.mappings.get(a.eventType.toLowerCase());
    if (mapping === undefined) return { outcome: 'unmapped', events: [] };
    const eventTime = a.dateTime ?? new Date(receivedAt);
    const key = `${a.eventType.toLowerCase()}|${a.channel ?? '-'}|${a.regions[0]?.id ?? '-'}`;
    const cur = this.open.get(key);
    if (!a.active) {
      if (cur === undefined) return { outcome: 'ignored', events: [] };
      this.open.delete(key);
      return { outcome: 'mapped', events: [this.event(cur, 'end', laterOf(eventTime, cur.lastEventTime), 'left')] };
    }
    const bbox = regionBox(a);
    if (cur !== undefined) {
      cur.lastSeenAt = receivedAt;
      cur.bbox = bbox;
      if (eventTime.getTime() > cur.lastEventTime.getTime()) cur.lastEventTime = eventTime;
      if (receivedAt - cur.lastUpdateAt < this.opts.updateIntervalSeconds * 1000) return { outcome: 'mapped', events: [] };
      cur.lastUpdateAt = receivedAt;
      return { outcome: 'mapped', events: [this.event(cur, 'update', cur.lastEventTime)] };
    }
    const startedAt = new Date(eventTime.getTime() - mapping.creditSeconds * 1000);
    const objectClass = mapping.objectClass ?? a.regions.find((r) => r.targetType !== undefined)?.targetType ?? a.eventType;
    const o: Open = {
      id: violationIdOf(this.cameraId, mapping.zoneId, mapping.type, key, startedAt.getTime()),
      mapping,
      zoneId: mapping.zoneId,
      objectClass,
      startedAt,
      bbox,
      lastEventTime: eventTime,
      lastSeenAt: receivedAt,
      lastUpdateAt: receivedAt,
    };
    this.open.set(key, o);
    return { outcome: 'mapped', events: [this.event(o, 'start', eventTime)] };
  }

  /** End the violations not repeated within endAfterSeconds of gateway time `now` (ms). */
  tick(now: number): ViolationEvent[] {
    const out: ViolationEvent[] = [];
    for (const [key, o] of this.open) {
      if (now - o.lastSeenAt < this.opts.endAfterSeconds * 1000) continue;
      this.open.delete(key);
      out.push(this.event(o, 'end', o.lastEventTime, 'lost'));
    }
    return out;
  }

  /** End every open violation (shutdown, camera offline, camera tampered...). */
  close(reason: EndReason, at?: Date): ViolationEvent[] {
    const out = [...this.open.values()].map((o) => this.event(o, 'end', at !== undefined ? laterOf(at, o.lastEventTime) : o.lastEventTime, reason));
    this.open.clear();
    return out;
  }

  private event(o: Open, phase: ViolationEvent['phase'], eventTime: Date, endReason?: EndReason): ViolationEvent {
    return {
      phase,
      violationId: o.id,
      type: o.mapping.type,
      cameraId: this.cameraId,
      zoneId: o.zoneId,
      objectClass: o.objectClass,
      score: 1,
      bbox: o.bbox,
      dwellSeconds: Math.max(0, (eventTime.getTime() - o.startedAt.getTime()) / 1000),
      startedAt: o.startedAt,
      eventTime,
      ...(endReason !== undefined && { endReason }),
    };
  }
}

function laterOf(a: Date, b: Date): Date {
  return a.getTime() >= b.getTime() ? a : b;
}
