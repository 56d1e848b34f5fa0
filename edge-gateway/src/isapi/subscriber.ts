/**
 * One camera's own analytics, end to end:
 *   alert stream (client.ts) -> part: event (alert.ts) [+ the image/jpeg part that follows it]
 *   -> lifecycle (lifecycle.ts) -> evidence (the camera's picture, stored as is) -> DetectionEvent
 *   (`source: camera`) -> outbox
 * the same contracts, topic and violation lifecycle as the gateway's own analytics.
 *
 * An event part waits up to `pictureWaitMs` for its picture: the next part, if it is an image,
 * belongs to it. Events arrive in stream order, so one pending event at a time is enough.
 * A malformed part is logged (rate-limited) and counted, and the stream goes on.
 */
import { counter, gauge, type Registry } from '@streetwatch/platform';
import type { EvidenceRef } from '@streetwatch/schemas';
import type { Logger } from 'pino';
import { createHash, randomUUID } from 'node:crypto';
import type { PictureRecord } from '../outbox/pictures.js';
import { detectionRecord, type OutboxRecord } from '../outbox/index.js';
import type { EventSink } from '../pipeline/camera-pipeline.js';
import { detectionEventOf, type CameraContext } from '../pipeline/events.js';
import type { EndReason, ViolationEvent } from '../rules/engine.js';
import { AlertParseError, parseAlert, type IsapiAlert } from './alert.js';
import { AlertStreamClient, type StreamState } from './client.js';
import type { ResolvedIsapiConfig } from './config.js';
import { CameraEventLifecycle } from './lifecycle.js';
import type { Part, PartProblem } from './multipart.js';

export function isapiMetrics(registry: Registry) {
  return {
    connected: gauge(registry, 'streetwatch_edge_isapi_connected', '1 while the camera alert stream (ISAPI) is connected', ['camera']),
    parts: counter(
      registry,
      'streetwatch_edge_isapi_parts_total',
      'Parts received on the ISAPI alert stream, by outcome (mapped, heartbeat, unmapped, other_channel, ignored, picture, malformed, too_large)',
      ['camera', 'outcome'],
    ),
    disconnects: counter(registry, 'streetwatch_edge_isapi_disconnects_total', 'Alert stream failures and ends, by code', ['camera', 'code']),
    events: counter(registry, 'streetwatch_edge_camera_events_total', 'DetectionEvents from camera analytics written to the outbox', ['camera', 'type', 'phase']),
    open: gauge(registry, 'streetwatch_edge_camera_violations_open', 'Camera-analytics violations started and not yet ended', ['camera']),
  };
}
export type IsapiMetrics = ReturnType<typeof isapiMetrics>;

export interface IsapiSubscriberDeps {
  context: CameraContext;
  sink: EventSink;
  /**
   * Key prefix of this box's pictures in the evidence store (`edge/<gatewayId>/`); undefined: no
   * store configured, events go without the camera's picture. Pictures are queued in the outbox
   * with their events (outbox/pictures.ts) and uploaded by the gateway's uploader.
   */
  evidencePrefix?: string;
  updateIntervalSeconds: number;
  metrics: IsapiMetrics;
  log: Logger;
  now?: () => number;
  random?: () => number;
}

export interface IsapiSubscriberStats {
  connected: boolean;
  lastError?: string;
  parts: number;
  malformed: number;
  heartbeats: number;
  events: { start: number; update: number; end: number };
  openViolations: number;
}

interface Pending {
  alert: IsapiAlert;
  receivedAt: number;
  timer: NodeJS.Timeout;
}

const isImage = (p: Part): boolean => /^image\//i.test(p.headers['content-type'] ?? '');

export class IsapiSubscriber {
  readonly cameraId: string;
  private readonly client: AlertStreamClient;
  private readonly lifecycle: CameraEventLifecycle;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly lastPicture = new Map<string, EvidenceRef>();
  private pending: Pending | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  /** Writes (evidence + outbox) in order, one at a time. */
  private chain: Promise<void> = Promise.resolve();
  private lastMalformedLog = -Infinity;
  private closed = false;
  private readonly s: IsapiSubscriberStats = { connected: false, parts: 0, malformed: 0, heartbeats: 0, events: { start: 0, update: 0, end: 0 }, openViolations: 0 };

  constructor(
    private readonly config: ResolvedIsapiConfig,
    private readonly deps: IsapiSubscriberDeps,
  ) {
    this.cameraId = deps.context.cameraId;
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ cameraId: this.cameraId, component: 'isapi' });
    this.lifecycle = new CameraEventLifecycle(this.cameraId, {
      events: config.events,
      endAfterSeconds: config.endAfterSeconds,
      updateIntervalSeconds: deps.updateIntervalSeconds,
      ...(config.channel !== undefined && { channel: config.channel }),
    });
    this.client = new AlertStreamClient(config, {
      onPart: (p) => this.onPart(p),
      onProblem: (p) => this.onProblem(p),
      onState: (s) => this.onState(s),
      log: this.log,
      ...(deps.random !== undefined && { random: deps.random }),
    });
  }

  start(): void {
    this.deps.metrics.connected.set({ camera: this.cameraId }, 0);
    this.client.start();
    // Silence ends pulse events: check a few times per endAfterSeconds.
    const every = Math.max(200, Math.min(5_000, (this.config.endAfterSeconds * 1000) / 4));
    this.tickTimer = setInterval(() => this.enqueue(() => this.lifecycle.tick(this.now()), undefined), every);
    this.tickTimer.unref();
  }

  stats(): IsapiSubscriberStats {
    return { ...this.s, events: { ...this.s.events }, openViolations: this.lifecycle.openCount };
  }

  /** Until every write so far is in the outbox (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Stop the stream; the pending event goes out; open violations stay open (see endAll). Idempotent. */
  async stop(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    clearInterval(this.tickTimer);
    await this.client.close();
    this.flushPending(undefined);
    await this.chain;
  }

  /** End every open violation (shutdown, camera tampered or offline). Resolves once written. */
  endAll(reason: EndReason, at?: Date): Promise<number> {
    let n = 0;
    this.enqueue(() => {
      const events = this.lifecycle.close(reason, at);
      n = events.length;
      return events;
    }, undefined);
    return this.chain.then(() => n);
  }

  private onState(s: StreamState): void {
    this.s.connected = s.connected;
    this.deps.metrics.connected.set({ camera: this.cameraId }, s.connected ? 1 : 0);
    if (!s.connected) {
      this.s.lastError = s.code;
      this.deps.metrics.disconnects.inc({ camera: this.cameraId, code: s.code });
    }
  }

  private onProblem(p: PartProblem): void {
    this.s.parts++;
    this.malformed(p.problem === 'too_large' ? 'SW_EDGE_ISAPI_PART_TOO_LARGE' : 'SW_EDGE_ISAPI_PART_MALFORMED', p.detail, p.problem === 'too_large' ? 'too_large' : 'malformed');
  }

  private malformed(code: string, detail: string, outcome: 'malformed' | 'too_large'): void {
    this.s.malformed++;
    this.deps.metrics.parts.inc({ camera: this.cameraId, outcome });
    // One line per 10 s: a camera sending garbage at 10 parts/s must not flood the log.
    const now = this.now();
    if (now - this.lastMalformedLog < 10_000) return;
    this.lastMalformedLog = now;
    this.log.warn({ code, detail }, 'ISAPI alert stream: part skipped');
  }

  private onPart(p: Part): void {
    this.s.parts++;
    if (isImage(p)) {
      this.deps.metrics.parts.inc({ camera: this.cameraId, outcome: 'picture' });
      if (this.pending !== undefined) this.flushPending(p.body);
      return;
    }
    // A new event: the one waiting for a picture goes out without it.
    this.flushPending(undefined);
    let alert: IsapiAlert;
    try {
      alert = parseAlert(p.headers['content-type'], p.body, this.config.regionOrigin);
    } catch (err) {
      if (!(err instanceof AlertParseError)) throw err;
      this.malformed('SW_EDGE_ISAPI_PART_MALFORMED', `${err.message}; part starts ${JSON.stringify(p.body.subarray(0, 60).toString('latin1'))}`, 'malformed');
      return;
    }
    if (alert.heartbeat) {
      this.s.heartbeats++;
      this.deps.metrics.parts.inc({ camera: this.cameraId, outcome: 'heartbeat' });
      return;
    }
    const receivedAt = this.now();
    if (this.config.pictureWaitMs === 0) {
      this.handle(alert, receivedAt, undefined);
      return;
    }
    const timer = setTimeout(() => this.flushPending(undefined), this.config.pictureWaitMs);
    timer.unref();
    this.pending = { alert, receivedAt, timer };
  }

  private flushPending(picture: Buffer | undefined): void {
    const p = this.pending;
    if (p === undefined) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    this.handle(p.alert, p.receivedAt, picture);
  }

  private handle(alert: IsapiAlert, receivedAt: number, picture: Buffer | undefined): void {
    this.enqueue(() => {
      const r = this.lifecycle.onAlert(alert, receivedAt);
      this.deps.metrics.parts.inc({ camera: this.cameraId, outcome: r.outcome });
      if (r.outcome === 'unmapped') this.log.debug({ eventType: alert.eventType, active: alert.active }, 'camera event type not mapped: ignored');
      return r.events;
    }, picture);
  }

  /** Run `decide` in order with the writes before it, then write its events. */
  private enqueue(decide: () => ViolationEvent[], picture: Buffer | undefined): void {
    this.chain = this.chain
      .then(async () => {
        const events = decide();
        if (events.length > 0) await this.write(events, picture);
        this.deps.metrics.open.set({ camera: this.cameraId }, this.lifecycle.openCount);
      })
      .catch((err: unknown) => {
        this.log.error({ err, code: (err as { code?: string }).code ?? 'SW_EDGE_FRAME_FAILED' }, 'camera event not written');
      });
  }

  private async write(events: readonly ViolationEvent[], picture: Buffer | undefined): Promise<void> {
    let ref: EvidenceRef | undefined;
    const pictures: PictureRecord[] = [];
    const prefix = this.deps.evidencePrefix;
    if (picture !== undefined && picture.length > 0 && prefix !== undefined) {
      const capturedAt = events[0]?.eventTime ?? new Date(this.now());
      const key = `${prefix}${capturedAt.toISOString().slice(0, 10)}/${randomUUID()}.jpg`;
      const sha256 = createHash('sha256').update(picture).digest('hex');
      ref = { key, sha256, contentType: 'image/jpeg', bytes: picture.length, cameraId: this.cameraId, capturedAt: capturedAt.toISOString() };
      pictures.push({ key, body: picture, sha256, contentType: 'image/jpeg', phase: events[0]?.phase ?? 'start' });
    }
    const records: OutboxRecord[] = [];
    for (const v of events) {
      const evidence = ref ?? this.lastPicture.get(v.violationId);
      if (v.phase === 'end') this.lastPicture.delete(v.violationId);
      else if (ref !== undefined) this.lastPicture.set(v.violationId, ref);
      const e = detectionEventOf(v, this.deps.context, new Date(this.now()), evidence);
      e.source = 'camera';
      records.push(detectionRecord(e));
    }
    this.deps.sink.append(records, pictures);
    for (const v of events) {
      this.s.events[v.phase]++;
      this.deps.metrics.events.inc({ camera: this.cameraId, type: v.type, phase: v.phase });
      this.log.info({ violationId: v.violationId, phase: v.phase, type: v.type, zoneId: v.zoneId, source: 'camera', ...(v.endReason !== undefined && { endReason: v.endReason }) }, `camera violation ${v.phase}`);
    }
  }
}
