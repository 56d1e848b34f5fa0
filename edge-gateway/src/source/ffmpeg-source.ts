/**
 * A supervised ffmpeg decoding one camera (or file) into analytic frames.
 *
 * Watchdog: no frame for `firstFrameTimeoutMs` after a start or `stallTimeoutMs` while
 * streaming, or ffmpeg exiting for any reason (exit 0 included: that is how it reports a
 * vanished RTSP server), kills and restarts ffmpeg after an exponential backoff with jitter.
 * A rejected password (SW_EDGE_CAMERA_AUTH), a wrong path (404) or a missing ffmpeg use the slow
 * schedule (`authBackoffMs`..`authBackoffMaxMs`): the camera is reported offline once and retried
 * every minute or so, never in a tight loop (which could also lock the account on a Hikvision).
 * Health: `online` on the first frame after a start, `offline` on a failure, each once per change
 * (and again when the offline reason changes).
 */
import type { Logger } from 'pino';
import { Backoff } from '@streetwatch/platform';
import type { AnalyticConfig, WatchdogConfig } from '../cameras/config.js';
import { isRetryableCode, isVideoError, type VideoErrorCode } from '../cameras/errors.js';
import { redactText } from '../cameras/url.js';
import type { Frame } from '../frame.js';
import { frameTimeMs, type FrameClock } from '../sampler/analytic.js';
import { RawFrameReader, type DeliveryMode } from '../sampler/frame-reader.js';
import { classifyExit, ffmpegArgs, spawnFfmpeg, StderrTail, type FfmpegInput, type FfmpegProcess } from './ffmpeg.js';
import { cameraMetrics, type CameraMetrics } from './metrics.js';
import type { CameraHealthEvent, FrameSource, SourceDeps, SourceState, SourceStatus } from './types.js';

export interface FfmpegSourceOptions {
  cameraId: string;
  analytic: AnalyticConfig;
  watchdog: WatchdogConfig;
  /** 'latest' for live cameras, 'backpressure' for replays. */
  mode: DeliveryMode;
  /** 'live' = arrival wall clock; otherwise the virtual clock origin (ms) of a replay. */
  clock: 'live' | { originMs?: number };
  /** Called before every (re)start: the input to open (ONVIF resolves its stream URI here). */
  resolveInput: () => FfmpegInput | Promise<FfmpegInput>;
  /** A file replay without loop: exit 0 means "done", not a failure. */
  endIsFinal: boolean;
}

const FPS_WINDOW = 32;
const FPS_HORIZON_MS = 10_000;

export class FfmpegFrameSource implements FrameSource {
  private readonly reader: RawFrameReader;
  private readonly backoff: Backoff;
  private readonly authBackoff: Backoff;
  private readonly metrics: CameraMetrics | undefined;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly clock: FrameClock | undefined;
  private readonly arrivals = new Float64Array(FPS_WINDOW);

  private state: SourceState = 'idle';
  private reason: VideoErrorCode | 'STREAM_OK' | undefined;
  private proc: FfmpegProcess | undefined;
  private killReason: VideoErrorCode | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private startedAt = 0;
  private progressAt = 0;
  private gotFrameThisRun = false;
  private frameBase = 0;
  private seq = 0;
  private spawns = 0;
  private restarts = 0;
  private frames = 0;
  private lastFrameAt = 0;
  private virtualOrigin = 0;
  private droppedReported = 0;

  constructor(
    private readonly opts: FfmpegSourceOptions,
    private readonly deps: SourceDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log?.child({ cameraId: opts.cameraId });
    const w = opts.watchdog;
    this.backoff = new Backoff({ initialMs: w.backoffInitialMs, maxMs: w.backoffMaxMs, jitter: w.jitter });
    this.authBackoff = new Backoff({ initialMs: w.authBackoffMs, maxMs: w.authBackoffMaxMs, jitter: w.jitter });
    this.metrics = deps.registry === undefined ? undefined : cameraMetrics(deps.registry, this.now);
    this.clock = opts.clock === 'live' ? { kind: 'live' } : undefined;
    this.reader = new RawFrameReader(
      { width: opts.analytic.width, height: opts.analytic.height, ringSize: opts.analytic.ringSize, mode: opts.mode },
      (data, index, arrivedAt) => this.onFrameBytes(data, index, arrivedAt),
      { now: this.now, onError: (err) => this.log?.error({ err }, 'frame handler failed') },
    );
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'starting';
    this.startedAt = this.now();
    this.virtualOrigin = this.opts.clock === 'live' ? 0 : (this.opts.clock.originMs ?? this.startedAt);
    this.metrics?.register(this.opts.cameraId, {
      decodedFps: (t) => this.decodedFps(t),
      lastFrameAgeSeconds: (t) => Math.max(0, (t - (this.lastFrameAt || this.startedAt)) / 1000),
      online: () => this.state === 'online',
    });
    const period = Math.max(50, Math.min(1000, Math.floor(Math.min(this.opts.watchdog.stallTimeoutMs, this.opts.watchdog.firstFrameTimeoutMs) / 4)));
    this.watchdog = setInterval(() => this.checkStall(), period);
    this.watchdog.unref();
    void this.launch();
  }

  status(): SourceStatus {
    const s: SourceStatus = {
      cameraId: this.opts.cameraId,
      state: this.state,
      spawns: this.spawns,
      restarts: this.restarts,
      frames: this.frames,
      dropped: this.reader.dropped,
      decodedFps: this.decodedFps(this.now()),
    };
    if (this.reason !== undefined) s.reason = this.reason;
    if (this.lastFrameAt > 0) s.lastFrameAt = new Date(this.lastFrameAt);
    return s;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    const proc = this.proc;
    if (proc !== undefined) await this.stop(proc);
    this.reader.detach();
    this.state = 'closed';
    this.metrics?.unregister(this.opts.cameraId);
  }

  private async launch(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closing !== undefined) return;
    let input: FfmpegInput;
    try {
      input = await this.opts.resolveInput();
    } catch (err) {
      const code: VideoErrorCode = isVideoError(err) ? err.code : 'SW_EDGE_CAMERA_UNREACHABLE';
      this.fail(code, redactText(err instanceof Error ? err.message : String(err)));
      return;
    }
    if (this.closing !== undefined) return;
    const cmd = ffmpegArgs(input, this.opts.analytic);
    this.log?.debug({ args: cmd.args.map(redactText), ...(cmd.script !== undefined ? { script: redactText(cmd.script) } : {}) }, 'starting ffmpeg');
    const tail = new StderrTail();
    let spawnError: NodeJS.ErrnoException | undefined;
    let exited = false;
    const proc = spawnFfmpeg(cmd, this.deps.ffmpegPath);
    this.spawns++;
    this.proc = proc;
    this.killReason = undefined;
    this.gotFrameThisRun = false;
    this.progressAt = this.now();
    this.frameBase += this.reader.frameCount;
    this.reader.reset();
    this.reader.attach(proc.stdout);
    proc.stdout.on('data', this.onProgress);
    proc.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    const onExit = (code: number | null) => {
      if (exited) return;
      exited = true;
      void this.exited(proc, code, tail.toString(), spawnError);
    };
    proc.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
      if (proc.pid === undefined) onExit(null); // never started: no 'close' will follow
    });
    proc.on('close', (code) => onExit(code));
  }

  private readonly onProgress = (): void => {
    this.progressAt = this.now();
  };

  private async exited(proc: FfmpegProcess, code: number | null, stderr: string, spawnError: NodeJS.ErrnoException | undefined): Promise<void> {
    if (proc !== this.proc) return;
    this.proc = undefined;
    proc.stdout.off('data', this.onProgress);
    if (this.closing !== undefined) return;
    const reason = this.killReason ?? classifyExit(code, stderr, spawnError);
    if (reason === 'SW_EDGE_STREAM_ENDED' && this.opts.endIsFinal) {
      await this.reader.whenIdle();
      this.reader.detach();
      if (this.closing !== undefined) return;
      this.state = 'ended';
      this.reason = reason;
      clearInterval(this.watchdog);
      this.log?.info({ frames: this.frames }, 'replay finished');
      this.deps.onEnd?.();
      return;
    }
    this.reader.detach();
    this.fail(reason, stderr === '' ? `ffmpeg exited with ${code ?? 'signal'}` : stderr);
  }

  private fail(reason: VideoErrorCode, detail: string): void {
    if (this.closing !== undefined) return;
    this.restarts++;
    this.metrics?.restarts.inc({ camera: this.opts.cameraId, reason });
    // auth / 404 / no ffmpeg need a person to act: retry rarely (no crash loop, no account lockout)
    const delay = isRetryableCode(reason) ? this.backoff.next() : this.authBackoff.next();
    this.transition('offline', reason, detail, delay);
    this.retryTimer = setTimeout(() => void this.launch(), delay);
  }

  private checkStall(): void {
    const proc = this.proc;
    if (proc === undefined || this.killReason !== undefined || this.reader.waiting) return;
    const limit = this.gotFrameThisRun ? this.opts.watchdog.stallTimeoutMs : this.opts.watchdog.firstFrameTimeoutMs;
    if (this.now() - this.progressAt <= limit) return;
    this.killReason = 'SW_EDGE_STREAM_STALLED';
    this.log?.warn({ limitMs: limit }, 'no frame within the watchdog timeout: restarting ffmpeg');
    void this.stop(proc);
  }

  private onFrameBytes(data: Buffer, index: number, arrivedAt: number): void | Promise<void> {
    this.frames++;
    this.lastFrameAt = arrivedAt;
    this.arrivals[this.frames % FPS_WINDOW] = arrivedAt;
    this.metrics?.frames.inc({ camera: this.opts.cameraId });
    if (!this.gotFrameThisRun) {
      this.gotFrameThisRun = true;
      this.backoff.reset();
      this.authBackoff.reset();
    }
    if (this.state !== 'online') this.transition('online', 'STREAM_OK');
    const clock: FrameClock = this.clock ?? { kind: 'virtual', originMs: this.virtualOrigin, fps: this.opts.analytic.fps };
    const frame: Frame = {
      cameraId: this.opts.cameraId,
      seq: this.seq++,
      width: this.opts.analytic.width,
      height: this.opts.analytic.height,
      data,
      eventTime: new Date(frameTimeMs(clock, this.frameBase + index, arrivedAt)),
    };
    const dropped = this.reader.dropped;
    if (dropped > this.droppedReported) {
      this.metrics?.dropped.inc({ camera: this.opts.cameraId }, dropped - this.droppedReported);
      this.droppedReported = dropped;
    }
    return this.deps.onFrame(frame);
  }

  private transition(status: 'online' | 'offline', reason: VideoErrorCode | 'STREAM_OK', detail?: string, retryInMs?: number): void {
    const changed = this.state !== status || this.reason !== reason;
    this.state = status;
    this.reason = reason;
    if (!changed) {
      this.log?.debug({ reason, retryInMs }, 'still offline');
      return;
    }
    const t = this.now();
    const event: CameraHealthEvent = {
      cameraId: this.opts.cameraId,
      status,
      reason,
      retryable: reason === 'STREAM_OK' || isRetryableCode(reason),
      eventTime: new Date(t),
      restarts: this.restarts,
      stats: { decodedFps: this.decodedFps(t), lastFrameAgeSeconds: Math.max(0, (t - (this.lastFrameAt || this.startedAt)) / 1000) },
    };
    if (detail !== undefined && detail !== '') event.detail = detail.slice(-1024);
    if (retryInMs !== undefined) event.retryInMs = retryInMs;
    if (status === 'online') this.log?.info({ reason }, 'camera online');
    else this.log?.warn({ reason, detail: event.detail, retryInMs }, 'camera offline');
    try {
      this.deps.onHealth?.(event);
    } catch (err) {
      this.log?.error({ err }, 'health handler failed');
    }
  }

  private decodedFps(nowMs: number): number {
    const n = Math.min(this.frames, FPS_WINDOW);
    if (n < 2 || nowMs - this.lastFrameAt > FPS_HORIZON_MS) return 0;
    let oldest = this.lastFrameAt;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const t = this.arrivals[(this.frames - i + FPS_WINDOW) % FPS_WINDOW] as number;
      if (nowMs - t > FPS_HORIZON_MS) break;
      oldest = t;
      count++;
    }
    return count < 2 || this.lastFrameAt === oldest ? 0 : ((count - 1) * 1000) / (this.lastFrameAt - oldest);
  }

  /** SIGTERM, then SIGKILL after the grace; resolves when the process is gone. */
  private stop(proc: FfmpegProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), this.opts.watchdog.killGraceMs);
      proc.once('close', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }
}
