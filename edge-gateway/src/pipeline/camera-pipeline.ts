/**
 * One camera's pipeline, in data-flow order:
 *   source (ffmpeg) -> motion gate -> tamper check -> static objects -> [shared detector queue
 *   -> tracker] -> count lines (every frame; FlowCount per closed minute) -> rules (every frame)
 *   -> evidence -> DetectionEvent -> outbox
 * and source health -> CameraHealth -> outbox.
 *
 * A view that stays covered, blurred or moved (tamper/) is a CameraHealth `tampered`: the open
 * violations end (endReason `camera_tampered`, with the frame that shows the tampered view) and
 * detection and rules pause until the view is restored (an `online` VIEW_RESTORED health event).
 *
 * Everything for a frame happens inside the source's frame handler (awaited), because
 * `frame.data` is a ring slot that is reused once the handler settles: a live source meanwhile
 * keeps only its newest frame, a file replay waits. The tracker is updated only on frames the
 * detector ran on; the rule engine steps on every frame (dwell and gaps advance with time).
 *
 * A camera that goes offline stops the frames, and with them the rules' clock: its open
 * violations would stay open for as long as it is dark. After `offlineGraceSeconds` offline they
 * end (endReason `camera_offline`, at the last frame's time, with their last picture) and the
 * camera's tracks are forgotten; back online sooner, nothing happens (the rules bridge the gap as
 * usual). A camera back after the grace starts afresh: a car still standing there is a new
 * violation once it has dwelt again.
 *
 * Health goes out on every change, and besides, every `heartbeatIntervalMs`, the state last
 * reported is re-stated (CameraHealth `heartbeat: true`, through the outbox like every record): a
 * box that dies sends nothing, and the cloud can only tell that from silence.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { hasCode } from '@streetwatch/platform';
import type { CameraHealth } from '@streetwatch/schemas';
import type { CameraConfig } from '../cameras/config.js';
import type { AnalyticsConfig, GatewayCameraConfig } from '../config/schema.js';
import type { Frame } from '../frame.js';
import { MotionGate } from '../motion/gate.js';
import { StaticObjectDetector } from '../motion/static-objects.js';
import { TAMPER_REASONS, TamperDetector, tamperHealthOf, type TamperTransition } from '../tamper/index.js';
import { cameraHealthRecord, detectionRecord, flowCountRecord, type OutboxRecord } from '../outbox/index.js';
import { FlowCounter, flowCountOf, type FlowContext, type FlowMinute } from '../counting/index.js';
import { RuleEngine, type ViolationEvent } from '../rules/engine.js';
import { createFrameSource } from '../source/create.js';
import type { CameraHealthEvent, FrameSource, SourceDeps, SourceStatus } from '../source/types.js';
import { Tracker } from '../tracker/tracker.js';
import { AnalysisWindow, type AnalysisRate } from './analysis-rate.js';
import type { DetectorQueue } from './detector-queue.js';
import { cameraHealthOf, detectionEventOf, heartbeatOf, type CameraContext } from './events.js';
import type { PictureRecord } from '../outbox/pictures.js';
import type { EvidenceRecorder } from './evidence.js';
import type { PipelineMetrics, Stage } from './metrics.js';

/** Where records go: the durable outbox (Outbox satisfies this). */
export interface EventSink {
  /** Events and the evidence pictures they reference, in one durable append (pictures first). */
  append(records: readonly OutboxRecord[], pictures?: readonly PictureRecord[]): unknown;
}

export interface CameraPipelineDeps {
  gatewayId: string;
  model: { name: string; version: string };
  detector: DetectorQueue;
  /** Absent: no evidence store configured, events go without pictures. */
  evidence?: EvidenceRecorder;
  sink: EventSink;
  metrics: PipelineMetrics;
  log: Logger;
  /** For the source's per-camera metrics (decoded fps, last-frame age, online). */
  registry?: Registry;
  now?: () => number;
  ffmpegPath?: string;
  /** Frame-source factory (default: the camera's `source.type`); the bench injects its own. */
  createSource?: (camera: CameraConfig, deps: SourceDeps) => FrameSource;
  /** Called once a non-looping file replay has delivered its last frame. */
  onEnd?: (cameraId: string) => void;
  /** The camera's view became tampered (after its own violations ended): e.g. end the camera's own events too. */
  onTampered?: (cameraId: string, at: Date) => void;
  /** Re-state the camera's health this often (health.heartbeatIntervalSeconds); absent: no heartbeat. */
  heartbeatIntervalMs?: number;
}

/** Cumulative counters for /status and the bench. */
export interface PipelineStats {
  frames: number;
  detectorRuns: number;
  stageMs: Record<Stage, number>;
  events: { start: number; update: number; end: number };
  healthEvents: number;
  /** Heartbeats written (the state re-stated, not a change). */
  heartbeats: number;
  invalidEvents: number;
  failures: number;
  lastEventTime?: string;
  lastDetectorMs?: number;
  openViolations: number;
  /** While the camera is offline with the grace timer running: since when (ISO). */
  offlineSince?: string;
  /** Violations ended because the camera stayed offline past the grace. */
  offlineEnds: number;
  /** While the view is covered, blurred or moved: which. */
  tampered?: string;
  /** Violations ended because the view was tampered. */
  tamperEnds: number;
  /** Count-line crossings counted, and FlowCount minutes written (cameras with count_line zones). */
  crossings: number;
  flowMinutes: number;
  /** The detector's share for this camera over the last 60 s (ratio < 1: overloaded box, fair share). */
  analysis: AnalysisRate;
}

const STAGES: readonly Stage[] = ['motion', 'tamper', 'static_objects', 'detect_wait', 'detect', 'track', 'count', 'rules', 'evidence', 'publish'];

export class CameraPipeline {
  readonly id: string;
  private readonly log: Logger;
  private readonly source: FrameSource;
  private readonly gate: MotionGate;
  private readonly statics: StaticObjectDetector;
  private readonly tamper: TamperDetector;
  private tracker: Tracker;
  private readonly rules: RuleEngine;
  /** Absent: the camera has no count_line zone. */
  private readonly counter: FlowCounter | undefined;
  private readonly flowCtx: FlowContext;
  private readonly ctx: CameraContext;
  private readonly analytics: AnalyticsConfig;
  private offlineTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The health last written (a change), which heartbeats re-state. */
  private lastHealth: CameraHealth | undefined;
  private offlineSince: Date | undefined;
  private readonly now: () => number;
  private stopping = false;
  private busy: Promise<void> | undefined;
  private lastEventTime: Date | undefined;
  private lastFailureLog = new Map<string, number>();
  private readonly s: Omit<PipelineStats, 'analysis'>;
  private readonly analysis = new AnalysisWindow();

  constructor(
    camera: GatewayCameraConfig,
    analytics: AnalyticsConfig,
    private readonly deps: CameraPipelineDeps,
  ) {
    this.id = camera.id;
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ cameraId: camera.id });
    this.gate = new MotionGate(analytics.motion);
    this.tamper = new TamperDetector(analytics.tamper, analytics.motion.width, analytics.motion.height);
    this.statics = new StaticObjectDetector(analytics.staticObjects, analytics.motion.width, analytics.motion.height);
    this.analytics = analytics;
    this.tracker = new Tracker(analytics.tracker);
    this.rules = new RuleEngine(camera.id, { zones: camera.zones, updateIntervalSeconds: analytics.updateIntervalSeconds });
    this.counter = camera.countLines !== undefined && camera.countLines.length > 0 ? new FlowCounter(camera.countLines) : undefined;
    // Where every message of this camera comes from (violations and flow minutes alike).
    const origin = {
      gatewayId: deps.gatewayId,
      cameraId: camera.id,
      ...(camera.siteId !== undefined && { siteId: camera.siteId }),
      ...(camera.gridId !== undefined && { gridId: camera.gridId }),
      ...(camera.communityId !== undefined && { communityId: camera.communityId }),
      ...(camera.labels !== undefined && { labels: camera.labels }),
    };
    this.flowCtx = {
      ...origin,
      lineGrids: new Map((camera.countLines ?? []).flatMap((l) => (l.gridId !== undefined ? [[l.id, l.gridId] as const] : []))),
    };
    this.ctx = {
      ...origin,
      zones: new Map(camera.zones.map((z) => [z.id, { ...(z.shopId !== undefined && { shopId: z.shopId }), ...(z.gridId !== undefined && { gridId: z.gridId }) }])),
      model: deps.model,
    };
    this.s = {
      frames: 0,
      detectorRuns: 0,
      stageMs: Object.fromEntries(STAGES.map((k) => [k, 0])) as Record<Stage, number>,
      events: { start: 0, update: 0, end: 0 },
      healthEvents: 0,
      heartbeats: 0,
      invalidEvents: 0,
      failures: 0,
      openViolations: 0,
      offlineEnds: 0,
      tamperEnds: 0,
      crossings: 0,
      flowMinutes: 0,
    };
    const sourceDeps: SourceDeps = {
      onFrame: (frame) => this.onFrame(frame),
      onHealth: (event) => this.onHealth(event),
      onEnd: () => deps.onEnd?.(camera.id),
      log: deps.log,
      now: this.now,
      ...(deps.registry !== undefined && { registry: deps.registry }),
      ...(deps.ffmpegPath !== undefined && { ffmpegPath: deps.ffmpegPath }),
    };
    const config: CameraConfig = { id: camera.id, source: camera.source, analytic: camera.analytic, watchdog: camera.watchdog };
    this.source = (deps.createSource ?? createFrameSource)(config, sourceDeps);
  }

  start(): void {
    this.log.info({ zones: this.ctx.zones.size, countLines: this.counter?.lineCount ?? 0, source: this.source.status().state }, 'camera pipeline starting');
    this.source.start();
    const every = this.deps.heartbeatIntervalMs;
    if (every !== undefined && this.heartbeatTimer === undefined) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), every);
      this.heartbeatTimer.unref();
    }
  }

  /**
   * Re-state the health last reported, at the gateway's present time (the interval timer calls
   * this). Nothing before the camera's first report (nothing to re-state) nor once stopping.
   * Returns whether a heartbeat was written.
   */
  heartbeat(): boolean {
    if (this.stopping || this.lastHealth === undefined) return false;
    const now = this.now();
    const st = this.source.status();
    const age = st.lastFrameAt !== undefined ? (now - st.lastFrameAt.getTime()) / 1000 : (this.lastHealth.stats?.lastFrameAgeSeconds ?? 0);
    const event = heartbeatOf(this.lastHealth, new Date(now), {
      decodedFps: st.decodedFps,
      lastFrameAgeSeconds: age,
      ...(this.s.lastDetectorMs !== undefined && { detectorMs: this.s.lastDetectorMs }),
    });
    let record: OutboxRecord;
    try {
      // a re-statement: the first thing the outbox drops when full (with updates, before any start or end)
      record = { ...cameraHealthRecord(event), droppable: true };
    } catch (err) {
      this.invalid('CameraHealth', err, event);
      return false;
    }
    if (!this.append([record])) return false;
    this.s.heartbeats++;
    this.deps.metrics.heartbeats.inc({ camera: this.id });
    return true;
  }

  status(): SourceStatus {
    return this.source.status();
  }

  stats(): PipelineStats {
    return {
      ...this.s,
      stageMs: { ...this.s.stageMs },
      events: { ...this.s.events },
      analysis: this.analysis.rate(performance.now()),
      ...(this.offlineSince !== undefined && { offlineSince: this.offlineSince.toISOString() }),
      ...(this.tamper.state !== undefined && { tampered: this.tamper.state }),
    };
  }

  /** Stop the source and wait for the frame in progress (its events are written). Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
    this.cancelOfflineEnd();
    await this.source.close();
    await this.busy;
  }

  /** End every open violation (phase end, endReason 'shutdown') with its last picture. Call after stop(). */
  async closeViolations(): Promise<number> {
    this.flushFlows(); // the minute in progress, as far as it was watched
    const events = this.rules.close(this.lastEventTime ?? new Date(this.now()));
    if (events.length > 0) await this.publish(events, undefined);
    this.setOpen();
    return events.length;
  }

  private onFrame(frame: Frame): Promise<void> | void {
    if (this.stopping) return;
    const p = this.process(frame).catch((err: unknown) => this.failed(err));
    this.busy = p;
    return p;
  }

  private async process(frame: Frame): Promise<void> {
    const m = this.deps.metrics;
    let t = performance.now();
    const lap = (stage: Stage): void => {
      const n = performance.now();
      this.s.stageMs[stage] += n - t;
      m.stageSeconds.observe({ camera: this.id, stage }, (n - t) / 1000);
      t = n;
    };
    this.s.frames++;
    this.lastEventTime = frame.eventTime;
    const g = this.gate.evaluate(frame);
    lap('motion');
    const tt = this.tamper.update(g.grey, frame.eventTime);
    lap('tamper');
    if (tt !== undefined) await this.onTamper(tt, frame);
    if (this.tamper.state !== undefined) {
      // the view is covered, blurred or moved: nothing in it can be trusted until it is restored
      m.frames.inc({ camera: this.id, detector: 'skipped' });
      return;
    }
    const blobs = this.statics.update(g.grey, frame.eventTime);
    lap('static_objects');
    const r = g.runDetector ? await this.deps.detector.detect(frame).catch((err: unknown) => this.detectorMissed(err)) : undefined;
    const detector = r !== undefined ? 'ran' : g.runDetector ? 'dropped' : 'skipped';
    t = performance.now();
    if (g.runDetector) {
      this.analysis.record(t, r !== undefined);
      const a = this.analysis.rate(t);
      m.analysedRatio.set({ camera: this.id }, a.ratio);
      m.analysedFps.set({ camera: this.id }, a.analysedFps);
    }
    if (r !== undefined) {
      this.s.stageMs.detect_wait += r.waitMs;
      this.s.stageMs.detect += r.runMs;
      m.stageSeconds.observe({ camera: this.id, stage: 'detect_wait' }, r.waitMs / 1000);
      m.stageSeconds.observe({ camera: this.id, stage: 'detect' }, r.runMs / 1000);
      m.detectorMs.set({ camera: this.id }, Math.round(r.runMs * 10) / 10);
      this.s.lastDetectorMs = r.runMs;
      this.s.detectorRuns++;
      this.tracker.update(frame.eventTime, r.detections);
      lap('track');
    }
    m.frames.inc({ camera: this.id, detector });
    if (this.counter !== undefined) {
      const f = this.counter.step(frame.eventTime, r !== undefined ? this.tracker.tracks : undefined);
      for (const c of f.crossings) m.crossings.inc({ camera: this.id, line: c.lineId, class: c.objectClass, direction: c.direction });
      this.s.crossings += f.crossings.length;
      if (f.closed.length > 0) this.publishFlows(f.closed);
      lap('count');
    }
    const events = this.rules.step({ eventTime: frame.eventTime, tracks: this.tracker.tracks, staticBlobs: blobs });
    lap('rules');
    if (events.length > 0) await this.publish(events, frame);
    this.setOpen();
  }

  /** Evidence, contract messages, one outbox append (in order). `frame` undefined: no new picture. */
  private async publish(events: readonly ViolationEvent[], frame: Frame | undefined): Promise<void> {
    const m = this.deps.metrics;
    const records: OutboxRecord[] = [];
    const pictures: PictureRecord[] = [];
    const kinds: ViolationEvent[] = [];
    for (const v of events) {
      const t0 = performance.now();
      let evidence;
      let picture: PictureRecord | undefined;
      const recorder = this.deps.evidence;
      if (recorder !== undefined) {
        try {
          const c = await recorder.capture(v, frame);
          evidence = c?.ref;
          picture = c?.picture;
        } catch (err) {
          this.failed(err, 'SW_EDGE_EVIDENCE_FAILED');
        }
        if (v.phase === 'end') recorder.forget(v.violationId);
      }
      const dt = performance.now() - t0;
      this.s.stageMs.evidence += dt;
      m.stageSeconds.observe({ camera: this.id, stage: 'evidence' }, dt / 1000);
      const event = detectionEventOf(v, this.ctx, new Date(this.now()), evidence);
      try {
        records.push(detectionRecord(event));
        if (picture !== undefined) pictures.push(picture); // queued only with an event that names it
        kinds.push(v);
      } catch (err) {
        this.invalid('DetectionEvent', err, event);
      }
    }
    const t0 = performance.now();
    if (this.append(records, pictures)) {
      for (const v of kinds) {
        this.s.events[v.phase]++;
        m.events.inc({ camera: this.id, type: v.type, phase: v.phase });
        this.log.info({ violationId: v.violationId, phase: v.phase, type: v.type, zoneId: v.zoneId, dwellSeconds: Math.round(v.dwellSeconds) }, `violation ${v.phase}`);
      }
    }
    const dt = performance.now() - t0;
    this.s.stageMs.publish += dt;
    m.stageSeconds.observe({ camera: this.id, stage: 'publish' }, dt / 1000);
  }

  /** FlowCount messages of closed minutes into the outbox (small, not dropped before detections). */
  private publishFlows(minutes: readonly FlowMinute[]): void {
    const records: OutboxRecord[] = [];
    const processedAt = new Date(this.now());
    for (const minute of minutes) {
      const flow = flowCountOf(minute, this.flowCtx, processedAt);
      try {
        records.push(flowCountRecord(flow));
      } catch (err) {
        this.invalid('FlowCount', err, flow);
      }
    }
    if (this.append(records)) {
      this.s.flowMinutes += records.length;
      this.deps.metrics.flowMinutes.inc({ camera: this.id }, records.length);
    }
  }

  /** Close the counting minute in progress (shutdown, tamper, offline past the grace). */
  private flushFlows(): void {
    const minutes = this.counter?.flush() ?? [];
    if (minutes.length > 0) this.publishFlows(minutes);
  }

  /**
   * The detector could not take this frame: the queue dropped it for a newer one (overload) or
   * its worker thread died (it is restarted). Both are counted where they happen; the frame goes
   * on without detections (tracks coast, rules step), like a frame the motion gate skipped.
   * Anything else is a failure of this frame.
   */
  private detectorMissed(err: unknown): undefined {
    if (hasCode(err, 'SW_EDGE_FRAME_DROPPED') || hasCode(err, 'SW_EDGE_DETECTOR_CRASHED')) return undefined;
    throw err;
  }

  /** Tampered: health event, open violations end with the frame that shows it. Restored: health event. */
  private async onTamper(tt: TamperTransition, frame: Frame): Promise<void> {
    const m = this.deps.metrics;
    const event = tamperHealthOf(tt, { gatewayId: this.deps.gatewayId, cameraId: this.id, decodedFps: this.source.status().decodedFps });
    let record: OutboxRecord | undefined;
    try {
      record = cameraHealthRecord(event);
    } catch (err) {
      this.invalid('CameraHealth', err, event);
    }
    if (record !== undefined && this.append([record])) {
      this.lastHealth = event;
      this.s.healthEvents++;
      m.health.inc({ camera: this.id, status: event.status });
    }
    if (tt.kind === 'restored') {
      for (const reason of Object.values(TAMPER_REASONS)) m.tampered.set({ camera: this.id, reason }, 0);
      this.log.info({ reason: event.reason, detail: event.detail }, 'camera view restored');
      return;
    }
    m.tampered.set({ camera: this.id, reason: event.reason }, 1);
    this.flushFlows(); // counted up to the tamper; the minutes after it are not watched
    this.counter?.resetTracks();
    const events = this.rules.close(frame.eventTime, 'camera_tampered');
    this.tracker = new Tracker(this.analytics.tracker);
    this.log.warn({ reason: event.reason, detail: event.detail, violations: events.length }, `camera view ${tt.state}: open violations ended, detection paused until the view is restored`);
    if (events.length > 0) {
      this.s.tamperEnds += events.length;
      await this.publish(events, frame);
      this.setOpen();
    }
    this.deps.onTampered?.(this.id, frame.eventTime);
  }

  private onHealth(h: CameraHealthEvent): void {
    if (h.status === 'offline') this.scheduleOfflineEnd();
    else this.cancelOfflineEnd();
    const event = cameraHealthOf(h, this.deps.gatewayId, this.s.lastDetectorMs);
    let record: OutboxRecord;
    try {
      record = cameraHealthRecord(event);
    } catch (err) {
      this.invalid('CameraHealth', err, event);
      return;
    }
    if (this.append([record])) {
      this.lastHealth = event;
      this.s.healthEvents++;
      this.deps.metrics.health.inc({ camera: this.id, status: h.status });
    }
  }

  /** Offline: end the open violations once the grace has passed, unless the camera is back first. */
  private scheduleOfflineEnd(): void {
    if (this.stopping || this.offlineTimer !== undefined) return;
    this.offlineSince = new Date(this.now());
    const graceMs = this.analytics.offlineGraceSeconds * 1000;
    this.offlineTimer = setTimeout(() => {
      this.offlineTimer = undefined;
      this.offlineSince = undefined;
      // after the frame in progress (if any): one writer of the rules at a time
      const p = Promise.resolve(this.busy)
        .then(() => this.endOffline(graceMs))
        .catch((err: unknown) => this.failed(err));
      this.busy = p;
    }, graceMs);
    this.offlineTimer.unref();
  }

  private cancelOfflineEnd(): void {
    clearTimeout(this.offlineTimer);
    this.offlineTimer = undefined;
    this.offlineSince = undefined;
  }

  private async endOffline(graceMs: number): Promise<void> {
    if (this.stopping) return;
    this.flushFlows();
    this.counter?.resetTracks();
    const events = this.rules.close(this.lastEventTime ?? new Date(this.now()), 'camera_offline');
    this.tracker = new Tracker(this.analytics.tracker);
    if (events.length === 0) return;
    this.log.warn({ violations: events.length, graceMs }, 'camera offline past its grace: open violations ended (camera_offline)');
    this.s.offlineEnds += events.length;
    await this.publish(events, undefined);
    this.setOpen();
  }

  private append(records: OutboxRecord[], pictures: PictureRecord[] = []): boolean {
    if (records.length === 0) return false;
    try {
      this.deps.sink.append(records, pictures);
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private invalid(contract: string, err: unknown, value: unknown): void {
    this.s.invalidEvents++;
    this.deps.metrics.invalid.inc({ contract });
    this.log.error({ err, contract, value, code: 'SW_EDGE_EVENT_INVALID' }, `built ${contract} fails its contract: not published (bug)`);
  }

  private failed(err: unknown, fallback = 'SW_EDGE_FRAME_FAILED'): void {
    if (this.stopping && hasCode(err, 'SW_EDGE_QUEUE_CLOSED')) return;
    const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : fallback;
    this.s.failures++;
    this.deps.metrics.failures.inc({ camera: this.id, code });
    // One line per code per 30 s: a persistent failure at 2 fps must not flood the log.
    const now = this.now();
    if (now - (this.lastFailureLog.get(code) ?? -Infinity) < 30_000) return;
    this.lastFailureLog.set(code, now);
    this.log.error({ err, code }, 'pipeline step failed; frame skipped');
  }

  private setOpen(): void {
    this.s.openViolations = this.rules.openCount;
    this.deps.metrics.openViolations.set({ camera: this.id }, this.rules.openCount);
  }
}
