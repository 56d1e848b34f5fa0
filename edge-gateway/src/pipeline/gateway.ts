/**
 * The whole gateway for one box: every stage built from the validated config, started in order
 * and closed in reverse under one grace time.
 *
 *   start: outbox -> publisher (drains in the background; Kafka may be down) -> uploader
 *          (evidence pictures to the object store; it may be down) -> HTTP server -> detector
 *          (model load) + its queue -> camera pipelines (sources)
 *   close: stop the sources (frames in progress finish) -> end open violations ('shutdown')
 *          -> detector queue/model -> HTTP -> uploader and publisher drain the outbox within
 *          what is left of the grace -> outbox
 *
 * main.ts owns the process (signals, exit codes); tests build a Gateway in-process.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createKafka, createS3Client, Lifecycle, listen, withTimeout, type KafkaSecurity, type Logger, type Registry } from '@streetwatch/platform';
import type { CameraConfig } from '../cameras/config.js';
import { analyticsFor, detectorQueueBound } from '../config/parse.js';
import type { GatewayConfig } from '../config/schema.js';
import { createDetector } from '../detector/create.js';
import type { BackendInfo } from '../detector/backend.js';
import type { DetectorConfig } from '../detector/config.js';
import type { Detector } from '../detector/types.js';
import { EdgeError } from '../errors.js';
import { cameraEventContext, IsapiSubscriber, isapiMetrics, type IsapiSubscriberStats, type ResolvedIsapiConfig } from '../isapi/index.js';
import { createEdgeOpsServer } from '../ops/server.js';
import { Outbox } from '../outbox/index.js';
import { Publisher, type FlushResult } from '../publish/index.js';
import { Uploader } from '../upload/index.js';
import { LiveUplink } from '../live/uplink.js';
import { cameraInput } from '../source/create.js';
import { sourceConfigOf } from '../config/parse.js';
import type { FrameSource, SourceDeps } from '../source/types.js';
import { CameraPipeline, type PipelineStats } from './camera-pipeline.js';
import { DetectorQueue } from './detector-queue.js';
import { EvidenceRecorder } from './evidence.js';
import { pipelineMetrics } from './metrics.js';

export interface GatewayDeps {
  log: Logger;
  registry: Registry;
  /** Brokers when the config names none (main passes STREETWATCH_KAFKA_BROKERS). */
  defaultBrokers?: readonly string[];
  /**
   * TLS + SASL for Kafka (main passes the platform's settings from STREETWATCH_KAFKA_SSL_CA_FILE,
   * STREETWATCH_KAFKA_SASL_USERNAME and the password by env/file); none: plaintext.
   */
  kafkaSecurity?: KafkaSecurity;
  now?: () => number;
  ffmpegPath?: string;
  createSource?: (camera: CameraConfig, deps: SourceDeps) => FrameSource;
  /** A non-looping file replay delivered its last frame. */
  onCameraEnd?: (cameraId: string) => void;
}

export interface ShutdownReport {
  violationsClosed: number;
  flush: FlushResult | undefined;
  failures: { name: string; error: Error }[];
}

export interface CameraStatus {
  id: string;
  state: string;
  reason?: string;
  decodedFps: number;
  lastFrameAt?: string;
  restarts: number;
  pipeline: PipelineStats;
  /** The camera's own analytics over ISAPI, where configured. */
  cameraEvents?: IsapiSubscriberStats;
}

/** Model version for events: configured, else 'sha256:' + 12 hex of the model's JSON. */
async function modelVersion(d: GatewayConfig['detector']): Promise<string> {
  if (d.version !== undefined) return d.version;
  const json = await readFile(join(d.modelDir, `${d.model}.json`));
  return `sha256:${createHash('sha256').update(json).digest('hex').slice(0, 12)}`;
}

/** A camera analysed at less than this share of the frames it sent to the detector marks the box overloaded. */
const OVERLOADED_BELOW = 0.9;

export class Gateway {
  private readonly log: Logger;
  private readonly lifecycle: Lifecycle;
  private readonly pipelines: CameraPipeline[] = [];
  private readonly subscribers: IsapiSubscriber[] = [];
  private outboxInstance: Outbox | undefined;
  private live: LiveUplink | undefined;
  private publisher: Publisher | undefined;
  private detector: Detector | undefined;
  private app: FastifyInstance | undefined;
  private address = '';
  private detectorReady = false;
  private starting: Promise<void> | undefined;
  private started: Promise<void> | undefined;
  private closing: Promise<ShutdownReport> | undefined;
  private closingNow: Promise<ShutdownReport> | undefined;
  private readonly report: ShutdownReport = { violationsClosed: 0, flush: undefined, failures: [] };
  private deadline = 0;

  constructor(
    readonly config: GatewayConfig,
    private readonly deps: GatewayDeps,
  ) {
    this.log = deps.log.child({ gatewayId: config.gatewayId });
    this.lifecycle = new Lifecycle(this.log);
  }

  /** Start every stage in order; on failure, close what started and rethrow. Idempotent. */
  start(): Promise<void> {
    this.starting ??= this.doStart();
    this.started ??= this.starting.catch(async (err: unknown) => {
      this.log.error({ err }, 'gateway failed to start');
      await this.closeNow(Math.min(5000, this.config.shutdown.graceMs));
      throw err;
    });
    return this.started;
  }

  /** Address the HTTP server listens on (`http://127.0.0.1:1234`). */
  get url(): string {
    return this.address;
  }

  get outbox(): Outbox | undefined {
    return this.outboxInstance;
  }

  /** The live view's link and streams (live section), once started. */
  get liveUplink(): LiveUplink | undefined {
    return this.live;
  }

  camera(id: string): CameraPipeline | undefined {
    return this.pipelines.find((p) => p.id === id);
  }

  /** The camera's ISAPI event subscriber, where configured. */
  cameraEvents(id: string): IsapiSubscriber | undefined {
    return this.subscribers.find((s) => s.cameraId === id);
  }

  status(): {
    gatewayId: string;
    detector: boolean;
    /** The TF.js backend and execution the detector runs on (after load). */
    detectorBackend?: BackendInfo;
    /** Some camera got less than 90 % of the detector runs it asked for over the last minute (fair share: see cameras[].pipeline.analysis). */
    detectorOverloaded: boolean;
    kafka: boolean;
    outbox: { depth: number; oldestAgeSeconds: number; pictures: number; oldestPictureAgeSeconds: number };
    cameras: CameraStatus[];
    /** The live view (live section): the link to the router and the transcodes running. */
    live?: { routerConnected: boolean; streams: number };
  } {
    const ob = this.outboxInstance;
    let outbox = { depth: -1, oldestAgeSeconds: -1, pictures: -1, oldestPictureAgeSeconds: -1 };
    try {
      if (ob) {
        outbox = {
          depth: ob.depth(),
          oldestAgeSeconds: Math.round(ob.oldestAgeMs() / 100) / 10,
          pictures: ob.pictureDepth(),
          oldestPictureAgeSeconds: Math.round(ob.oldestPictureAgeMs() / 100) / 10,
        };
      }
    } catch {
      // closed
    }
    const cameras = this.pipelines.map((p) => {
      const s = p.status();
      const c: CameraStatus = { id: p.id, state: s.state, decodedFps: Math.round(s.decodedFps * 100) / 100, restarts: s.restarts, pipeline: p.stats() };
      if (s.reason !== undefined) c.reason = s.reason;
      if (s.lastFrameAt !== undefined) c.lastFrameAt = s.lastFrameAt.toISOString();
      const ev = this.cameraEvents(p.id);
      if (ev !== undefined) c.cameraEvents = ev.stats();
      return c;
    });
    return {
      gatewayId: this.config.gatewayId,
      detector: this.detectorReady,
      ...(this.detector?.backend !== undefined && { detectorBackend: this.detector.backend }),
      detectorOverloaded: cameras.some((c) => c.pipeline.analysis.ratio < OVERLOADED_BELOW),
      kafka: this.publisher?.connected ?? false,
      outbox,
      cameras,
      ...(this.live !== undefined && { live: { routerConnected: this.live.connected, streams: this.live.streams.active } }),
    };
  }

  private async doStart(): Promise<void> {
    const { config, deps } = this;
    const { log, registry } = deps;

    const outbox = new Outbox(config.outbox, { log, registry, ...(deps.now !== undefined && { now: deps.now }) });
    outbox.start();
    this.outboxInstance = outbox;
    this.lifecycle.add('outbox', () => outbox.close());

    const brokers = config.kafka.brokers ?? deps.defaultBrokers;
    if (brokers === undefined || brokers.length === 0) throw new EdgeError('SW_EDGE_START_FAILED', 'no Kafka brokers: set kafka.brokers or STREETWATCH_KAFKA_BROKERS');
    const kafka = createKafka({ ...deps.kafkaSecurity, brokers, clientId: config.kafka.clientId ?? `edge-${config.gatewayId}` }, log);
    const { brokers: _b, clientId: _c, ...publisherConfig } = config.kafka;
    const publisher = new Publisher(publisherConfig, { kafka, outbox, registry, log });
    await publisher.start();
    this.publisher = publisher;
    this.lifecycle.add('publisher', async () => {
      // Everything before this in the close order has written its last records: drain them.
      this.report.flush = await publisher.flush(Math.max(0, this.deadline - Date.now() - 1000));
      if (this.report.flush.drained) this.log.info('outbox flushed to Kafka');
      else this.log.warn({ left: this.report.flush.left }, 'outbox not fully flushed within the grace time: the rest is sent at the next start');
    });

    const store = config.evidence.objectStore;
    if (store !== undefined) {
      const s3 = createS3Client(store);
      const { backoffInitialMs, backoffMaxMs, idleMs } = config.evidence.store ?? { backoffInitialMs: 500, backoffMaxMs: 30_000, idleMs: 5_000 };
      const uploader = new Uploader({ bucket: store.bucket, requestTimeoutMs: store.requestTimeoutMs, backoffInitialMs, backoffMaxMs, idleMs }, { s3, outbox, registry, log });
      uploader.start();
      this.lifecycle.add('uploader', async () => {
        // Runs before the publisher's flush (reverse order): share what is left of the grace.
        const left = await uploader.flush(Math.max(0, (this.deadline - Date.now() - 1000) / 2));
        if (left > 0) this.log.warn({ left }, 'evidence pictures not all uploaded within the grace time: the rest go at the next start');
        s3.destroy();
      });
    } else {
      log.warn('evidence.store is not configured: events carry no picture');
    }

    this.app = await createEdgeOpsServer({
      registry,
      log,
      status: () => this.status(),
      beforeScrape: () => outbox.refreshGauges(),
      ...(config.http.token !== undefined ? { token: config.http.token } : {}),
      readiness: {
        detector: () => ({ ok: this.detectorReady, detail: this.detectorReady ? 'model loaded' : 'loading' }),
        outbox: () => ({ ok: true, detail: `depth ${outbox.depth()}${outbox.isFull() ? ', FULL (dropping by policy)' : ''}` }),
        // Kafka down is not "not ready": events wait in the outbox.
        kafka: () => ({ ok: true, detail: publisher.connected ? 'connected' : 'unreachable: events wait in the outbox' }),
      },
    });
    const app = this.app;
    this.address = await listen(app, { host: config.http.host, port: config.http.port });
    this.lifecycle.add('http server', () => app.close());
    log.info({ url: this.address }, 'HTTP server listening');

    const { version: _v, maxQueuedFrames: _q, ...detectorConfig } = config.detector;
    const detector = createDetector(detectorConfig as DetectorConfig, { log: log.child({ component: 'detector' }), registry });
    this.detector = detector;
    this.lifecycle.add('detector', () => detector.close());
    await detector.load();
    const model = { name: config.detector.model, version: await modelVersion(config.detector) };
    this.detectorReady = true;

    const metrics = pipelineMetrics(registry);
    const queue = new DetectorQueue(detector, {
      concurrency: Math.max(1, config.detector.workers),
      maxWaiting: detectorQueueBound(config),
      onDepth: (n) => metrics.queueDepth.set(n),
      onDrop: (camera, reason) => metrics.queueDrops.inc({ camera, reason }),
    });
    this.lifecycle.add('detector queue', () => queue.close());
    const recorder =
      store === undefined
        ? undefined
        : new EvidenceRecorder({ prefix: config.evidence.store?.prefix ?? `edge/${config.gatewayId}/`, quality: config.evidence.jpegQuality }, log.child({ component: 'evidence' }));

    for (const cam of config.cameras) {
      if (!cam.enabled) {
        log.info({ cameraId: cam.id }, 'camera disabled in config');
        continue;
      }
      this.pipelines.push(
        new CameraPipeline(cam, analyticsFor(config, cam), {
          gatewayId: config.gatewayId,
          model,
          detector: queue,
          ...(recorder !== undefined && { evidence: recorder }),
          sink: outbox,
          metrics,
          log,
          registry,
          ...(deps.now !== undefined && { now: deps.now }),
          ...(deps.ffmpegPath !== undefined && { ffmpegPath: deps.ffmpegPath }),
          ...(deps.createSource !== undefined && { createSource: deps.createSource }),
          ...(deps.onCameraEnd !== undefined && { onEnd: deps.onCameraEnd }),
          // a tampered view also ends the camera's own (ISAPI) violations: it cannot see them either
          onTampered: (id, at) => void this.cameraEvents(id)?.endAll('camera_tampered', at),
          heartbeatIntervalMs: config.health.heartbeatIntervalSeconds * 1000,
        }),
      );
    }
    this.lifecycle.add('cameras', () => this.stopCameras());
    for (const p of this.pipelines) p.start();
    this.startCameraEvents(store === undefined ? undefined : (config.evidence.store?.prefix ?? `edge/${config.gatewayId}/`), outbox);
    this.startLive();
    log.info({ cameras: this.pipelines.length, model }, 'gateway started');
  }

  /** The live view's outbound link to the router (live section): closed first, with its transcodes. */
  private startLive(): void {
    const { config, deps } = this;
    if (config.live === undefined) return;
    const inputs = new Map(config.cameras.filter((c) => c.enabled).map((c) => [c.id, cameraInput(sourceConfigOf(c))] as const));
    const live = new LiveUplink(config.live, config.gatewayId, inputs, {
      log: deps.log,
      registry: deps.registry,
      ...(deps.ffmpegPath !== undefined && { ffmpegPath: deps.ffmpegPath }),
    });
    this.live = live;
    this.lifecycle.add('live view', () => live.close());
    live.start();
  }

  /** Cameras whose own analytics are subscribed to (isapi section): same lifecycle, contracts and outbox. */
  private startCameraEvents(evidencePrefix: string | undefined, outbox: Outbox): void {
    const { config, deps } = this;
    const metrics = isapiMetrics(deps.registry);
    for (const cam of config.cameras) {
      if (!cam.enabled || cam.isapi === undefined || !cam.isapi.enabled) continue;
      const isapi = cam.isapi as ResolvedIsapiConfig;
      if (isapi.host === undefined || isapi.password === undefined) throw new EdgeError('SW_EDGE_START_FAILED', `camera ${cam.id}: isapi section not resolved (build the config with parseGatewayConfig)`);
      this.subscribers.push(
        new IsapiSubscriber(isapi, {
          context: cameraEventContext(cam, isapi, config.gatewayId),
          sink: outbox,
          ...(evidencePrefix !== undefined && { evidencePrefix }),
          updateIntervalSeconds: analyticsFor(config, cam).updateIntervalSeconds,
          metrics,
          log: deps.log,
          ...(deps.now !== undefined && { now: deps.now }),
        }),
      );
    }
    if (this.subscribers.length === 0) return;
    this.lifecycle.add('camera events', async () => {
      await Promise.all(this.subscribers.map((s) => s.stop()));
      for (const s of this.subscribers) this.report.violationsClosed += await s.endAll('shutdown');
    });
    for (const s of this.subscribers) s.start();
    this.log.info({ cameras: this.subscribers.map((s) => s.cameraId) }, 'subscribed to camera analytics (ISAPI alert streams)');
  }

  private async stopCameras(): Promise<void> {
    await Promise.all(this.pipelines.map((p) => p.stop()));
    for (const p of this.pipelines) this.report.violationsClosed += await p.closeViolations();
    if (this.report.violationsClosed > 0) this.log.info({ violations: this.report.violationsClosed }, 'open violations ended (shutdown)');
  }

  /**
   * Graceful shutdown within `graceMs` (default shutdown.graceMs): sources stop, open violations
   * end, the outbox drains to Kafka, then everything closes in reverse start order. Idempotent.
   */
  close(graceMs = this.config.shutdown.graceMs): Promise<ShutdownReport> {
    this.closing ??= (async () => {
      const t0 = Date.now();
      // A signal during start: let the start finish (bounded) so every started stage is closed.
      if (this.starting) await withTimeout(this.starting, graceMs / 2, 'gateway start').catch(() => undefined);
      return this.closeNow(Math.max(100, graceMs - (Date.now() - t0)));
    })();
    return this.closing;
  }

  private closeNow(graceMs: number): Promise<ShutdownReport> {
    this.closingNow ??= (async () => {
      this.deadline = Date.now() + graceMs;
      this.report.failures = await this.lifecycle.close(graceMs);
      return this.report;
    })();
    return this.closingNow;
  }
}
