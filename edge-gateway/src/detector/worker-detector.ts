/**
 * Inference off the main thread: `workers` worker_threads (detector/worker.ts), each with its own
 * copy of the configured detector (`type`). The main thread only posts a frame and receives the
 * boxes, so one camera's inference (150-250 ms on wasm) no longer stalls every other camera's
 * ffmpeg reads, rules, evidence and HTTP.
 *
 * - Frames: a frame whose buffer lives in a SharedArrayBuffer (the sampler's ring slots) reaches
 *   the thread as a view on that memory: no copy, no transfer (a transfer would detach the ring
 *   slot, which the pipeline still reads for evidence and reuses for the next frame). Any other
 *   buffer is copied once and its copy transferred (counted: `streetwatch_edge_detector_frame_copies_total`).
 *   Either way the caller must not touch `frame.data` until detect() settles (the pipeline awaits
 *   it inside the source's frame handler, which keeps the ring slot reserved).
 * - Scheduling: each call goes to the least busy thread; the DetectorQueue in front keeps at most
 *   `workers` calls in flight, so a thread never holds more than one frame.
 * - Crash: a thread that exits, fails, or runs one inference longer than `workerTimeoutMs` is
 *   replaced. Its in-flight frame fails with SW_EDGE_DETECTOR_CRASHED (retryable), the restart is
 *   logged with that code and counted (`streetwatch_edge_detector_worker_restarts_total{reason}`); repeated
 *   crashes without a good inference in between back off (100 ms doubling to 30 s).
 * - close(): terminates every thread (idempotent); later calls fail with SW_EDGE_DETECTOR_NOT_LOADED.
 */
import { Worker } from 'node:worker_threads';
import { backoffDelay } from '@streetwatch/platform';
import type { Counter, Histogram } from 'prom-client';
import type { Frame } from '../frame.js';
import type { BackendInfo } from './backend.js';
import type { DetectorConfig } from './config.js';
import { AnalyticsError, type AnalyticsErrorCode } from './errors.js';
import { frameCopies, inferenceSeconds, reportBackend, workerRestarts } from './metrics.js';
import type { DetectorDeps } from './tfjs-graph.js';
import type { Detection, Detector } from './types.js';
import type { FromWorker, ToWorker, WireError, WireFrame, WorkerInit } from './wire.js';
import { ANALYTICS_ERRORS } from '../errors.js';

/** The thread entry next to this file: worker.js when built, worker.ts under the tests' TS loader. */
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 30_000;

type RestartReason = 'exit' | 'error' | 'timeout' | 'load_failed';

export interface WorkerDetectorDeps extends DetectorDeps {
  /** The thread entry (default: worker.js beside this file). Tests wrap it to inject faults. */
  readonly workerUrl?: URL;
}

interface Pending {
  resolve: (d: Detection[]) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  cameraId: string;
}

/** One thread and what it is doing. Replaced as a whole on restart. */
interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
}

export class WorkerDetector implements Detector {
  private readonly slots: Slot[] = [];
  private loading: Promise<void> | undefined;
  private closed = false;
  private nextId = 1;
  private backendInfo: BackendInfo | undefined;
  private readonly inference: Histogram<'camera_id'> | undefined;
  private readonly restarts: Counter<'reason'> | undefined;
  private readonly copies: Counter | undefined;

  constructor(
    private readonly config: DetectorConfig,
    private readonly deps: WorkerDetectorDeps = {},
  ) {
    const r = deps.registry;
    if (r) {
      this.inference = inferenceSeconds(r);
      this.restarts = workerRestarts(r);
      this.copies = frameCopies(r);
    }
  }

  /** The backend the threads chose (undefined before load). */
  get backend(): BackendInfo | undefined {
    return this.backendInfo;
  }

  /** The running worker threads (ops and tests); a restart replaces its entry. */
  get threads(): readonly Worker[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
  }

  /** Start the threads and wait until each has loaded the model. Idempotent. */
  load(): Promise<void> {
    if (this.closed) return Promise.reject(new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', 'detector is closed'));
    this.loading ??= (async () => {
      for (let i = 0; i < this.config.workers; i++) {
        const slot: Slot = { index: i, worker: undefined, ready: Promise.resolve(), pending: new Map(), crashes: 0, restartTimer: undefined };
        slot.ready = this.spawn(slot, true);
        this.slots.push(slot);
      }
      await Promise.all(this.slots.map((s) => s.ready));
      const info = this.backendInfo;
      this.deps.log?.info({ workers: this.config.workers, backend: info, threadIds: this.threads.map((w) => w.threadId) }, 'detector worker threads ready');
      if (this.deps.registry && info) reportBackend(this.deps.registry, info);
    })().catch(async (err: unknown) => {
      await this.terminateAll();
      this.slots.length = 0;
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  async detect(frame: Frame): Promise<Detection[]> {
    if (this.closed || this.slots.length === 0) throw new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', `camera ${frame.cameraId}`);
    if (frame.data.length !== frame.width * frame.height * 3) {
      throw new AnalyticsError('SW_EDGE_FRAME_INVALID', `${frame.data.length} bytes for ${frame.width}x${frame.height}`);
    }
    const busy = (s: Slot): number => (s.worker === undefined ? Number.MAX_SAFE_INTEGER : s.pending.size);
    const slot = this.slots.reduce((a, b) => (busy(b) < busy(a) ? b : a));
    await slot.ready;
    if (this.closed) throw new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', `camera ${frame.cameraId}`);
    const worker = slot.worker;
    if (worker === undefined) throw new AnalyticsError('SW_EDGE_DETECTOR_CRASHED', `camera ${frame.cameraId}: the detector thread is being restarted`, { retryable: true });
    const shared = frame.data.buffer instanceof SharedArrayBuffer;
    const data = shared ? new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength) : new Uint8Array(frame.data);
    if (!shared) this.copies?.inc();
    const wire: WireFrame = { cameraId: frame.cameraId, seq: frame.seq, width: frame.width, height: frame.height, eventTimeMs: frame.eventTime.getTime(), data };
    const id = this.nextId++;
    return new Promise<Detection[]>((resolve, reject) => {
      const timer = setTimeout(() => this.crashed(slot, worker, 'timeout', `one inference ran over ${this.config.workerTimeoutMs} ms`), this.config.workerTimeoutMs);
      slot.pending.set(id, { resolve, reject, timer, cameraId: frame.cameraId });
      const msg: ToWorker = { type: 'detect', id, frame: wire };
      worker.postMessage(msg, shared ? [] : [data.buffer as ArrayBuffer]);
    });
  }

  /** Terminate every thread; frames in flight fail with SW_EDGE_DETECTOR_NOT_LOADED. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.terminateAll();
  }

  private async terminateAll(): Promise<void> {
    const workers: Worker[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.restartTimer);
      this.failPending(slot, () => new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', 'detector is closed'));
      if (slot.worker) workers.push(slot.worker);
      slot.worker = undefined;
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }

  /**
   * Start a thread in `slot`. Resolves when it has loaded the model; rejects when it dies or fails
   * to load first. A thread lost after that is a crash (replaced); so is one lost while loading
   * as a replacement (`initial` false). A first load that fails fails load() as a whole.
   */
  private spawn(slot: Slot, initial: boolean): Promise<void> {
    const init: WorkerInit = { config: { ...this.config } };
    const worker = new Worker(this.deps.workerUrl ?? WORKER_URL, { workerData: init, name: `detector-${slot.index}` });
    slot.worker = worker;
    let isReady = false;
    let ready: () => void = () => {};
    let failed: (e: Error) => void = () => {};
    const promise = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const lost = (reason: RestartReason, err: Error): void => {
      if (!isReady) {
        failed(err);
        if (initial) {
          if (slot.worker === worker) slot.worker = undefined;
          void worker.terminate();
          return;
        }
      }
      this.crashed(slot, worker, reason, err.message);
    };
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'ready':
          isReady = true;
          this.backendInfo ??= m.backend;
          if (!initial) this.deps.log?.info({ threadId: worker.threadId, worker: slot.index }, 'detector worker restarted and ready');
          ready();
          return;
        case 'load-failed':
          lost('load_failed', fromWire(m.error, 'SW_EDGE_MODEL_INVALID'));
          return;
        case 'result': {
          const p = this.take(slot, worker, m.id);
          if (!p) return;
          slot.crashes = 0;
          this.inference?.observe({ camera_id: p.cameraId }, m.ms / 1000);
          p.resolve(m.detections);
          return;
        }
        case 'error':
          this.take(slot, worker, m.id)?.reject(fromWire(m.error, 'SW_EDGE_DETECTOR_CRASHED'));
          return;
      }
    });
    worker.on('error', (err) => lost('error', new AnalyticsError('SW_EDGE_DETECTOR_CRASHED', `worker thread failed: ${err.message}`, { cause: err, retryable: true })));
    worker.on('exit', (code) => lost('exit', new AnalyticsError('SW_EDGE_DETECTOR_CRASHED', `worker thread exited with code ${code}`, { retryable: true })));
    return promise;
  }

  private take(slot: Slot, worker: Worker, id: number): Pending | undefined {
    if (slot.worker !== worker) return undefined;
    const p = slot.pending.get(id);
    if (!p) return undefined;
    clearTimeout(p.timer);
    slot.pending.delete(id);
    return p;
  }

  private failPending(slot: Slot, error: () => Error): void {
    for (const [id, p] of slot.pending) {
      clearTimeout(p.timer);
      slot.pending.delete(id);
      p.reject(error());
    }
  }

  /** `worker` (still the slot's) died or hung: fail its frames, count, and start a new one (backed off). */
  private crashed(slot: Slot, worker: Worker, reason: RestartReason, detail: string): void {
    if (slot.worker !== worker || this.closed) return;
    slot.worker = undefined;
    if (reason === 'timeout') void worker.terminate();
    this.failPending(slot, () => new AnalyticsError('SW_EDGE_DETECTOR_CRASHED', `${detail} (thread ${worker.threadId})`, { retryable: true }));
    slot.crashes++;
    const delay = slot.crashes <= 1 ? 0 : backoffDelay({ initialMs: BACKOFF_INITIAL_MS, maxMs: BACKOFF_MAX_MS }, slot.crashes - 1);
    this.restarts?.inc({ reason });
    this.deps.log?.error({ code: 'SW_EDGE_DETECTOR_CRASHED', reason, detail, threadId: worker.threadId, worker: slot.index, restartInMs: delay }, 'detector worker thread lost: restarting it');
    // detect() calls meanwhile wait for the replacement (the queue in front bounds how many).
    slot.ready = new Promise<void>((release) => {
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (this.closed) return release();
        this.spawn(slot, false).then(release, release);
      }, delay);
    });
  }
}

function fromWire(e: WireError, fallback: AnalyticsErrorCode): AnalyticsError {
  const code = e.code !== undefined && Object.hasOwn(ANALYTICS_ERRORS, e.code) ? (e.code as AnalyticsErrorCode) : fallback;
  const cause = Object.assign(new Error(e.message), { name: e.name, code: e.code });
  return new AnalyticsError(code, `in the detector thread: ${e.message}`, { cause });
}

/** Get-or-create a metric in a registry (several detectors may share one registry). */
