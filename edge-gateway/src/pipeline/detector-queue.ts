/**
 * One detector per gateway, shared by every camera, behind a bounded queue that shares the
 * detector fairly when the cameras ask for more than it can do:
 *
 * - At most `concurrency` inferences at once (the detector's worker threads; 1 for a detector on
 *   the main thread).
 * - Fair share: the next frame to run is the one of the camera whose last inference started
 *   longest ago (cameras never served first, then arrival order). Under overload every camera is
 *   thus analysed in turn, at about (detector frames/s) / (cameras) each, a camera asking for less
 *   gets all it asks for, and no camera is starved, whatever the cameras' timing.
 * - Waiting frames are bounded: a camera has at most one frame waiting (a newer one from the same
 *   camera replaces it: `superseded`), and when `maxWaiting` frames wait, the frame dropped
 *   (`queue_full`) is that of the camera served most recently (ties: the oldest frame), which may
 *   be the new frame itself.
 *   A dropped frame's detect() rejects with SW_EDGE_FRAME_DROPPED (the pipeline goes on without
 *   detections for that frame) and is reported through `onDrop` (a metric in the gateway).
 *   A live camera awaits its frame inside its frame handler, so its source meanwhile keeps only
 *   its newest frame; the queue itself never grows past `maxWaiting`.
 * - close(): refuses new work, rejects the waiting frames (SW_EDGE_QUEUE_CLOSED) and resolves
 *   once the running inferences are done.
 */
import type { Detection, Detector } from '../detector/types.js';
import { EdgeError } from '../errors.js';
import type { Frame } from '../frame.js';

export interface QueuedDetection {
  detections: Detection[];
  /** Time spent waiting for other cameras' inferences (ms). */
  waitMs: number;
  /** Time of this inference, as the caller sees it (ms). */
  runMs: number;
}

export type DropReason = 'superseded' | 'queue_full';

export interface DetectorQueueOptions {
  /** Inferences at once (default 1). */
  concurrency?: number;
  /** Frames waiting at most (default 8). */
  maxWaiting?: number;
  /** Frames queued or running, after each change. */
  onDepth?: (depth: number) => void;
  /** A waiting frame was dropped. */
  onDrop?: (cameraId: string, reason: DropReason) => void;
}

interface Job {
  frame: Frame;
  queuedAt: number;
  resolve: (r: QueuedDetection) => void;
  reject: (e: Error) => void;
}

export class DetectorQueue {
  private readonly waiting: Job[] = [];
  /** performance.now() when each camera's last inference started (fair share). */
  private readonly lastStarted = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly onDepth: (depth: number) => void;
  private readonly onDrop: (cameraId: string, reason: DropReason) => void;

  constructor(
    private readonly detector: Detector,
    opts: DetectorQueueOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
    this.maxWaiting = Math.max(1, opts.maxWaiting ?? 8);
    this.onDepth = opts.onDepth ?? (() => {});
    this.onDrop = opts.onDrop ?? (() => {});
  }

  /** Frames queued or running. */
  get depth(): number {
    return this.waiting.length + this.running.size;
  }

  /**
   * Detect on `frame` when its turn comes. `frame.data` must stay valid until this settles
   * (callers await it inside the source's frame handler).
   */
  detect(frame: Frame): Promise<QueuedDetection> {
    if (this.closed) return Promise.reject(closedError(frame.cameraId));
    return new Promise<QueuedDetection>((resolve, reject) => {
      const job: Job = { frame, queuedAt: performance.now(), resolve, reject };
      const same = this.waiting.findIndex((j) => j.frame.cameraId === frame.cameraId);
      if (same >= 0) this.drop(same, 'superseded');
      else if (this.waiting.length >= this.maxWaiting) {
        const victim = this.mostServed();
        if (this.served(frame.cameraId) > this.served(this.waiting[victim]!.frame.cameraId)) {
          this.reject(job, 'queue_full');
          return;
        }
        this.drop(victim, 'queue_full');
      }
      this.waiting.push(job);
      this.pump();
      this.onDepth(this.depth);
    });
  }

  /** When `cameraId`'s last inference started (-Infinity: never). */
  private served(cameraId: string): number {
    return this.lastStarted.get(cameraId) ?? -Infinity;
  }

  /** Index of the waiting frame to run next: least recently served camera, then the oldest frame. */
  private leastServed(): number {
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const a = this.served(this.waiting[i]!.frame.cameraId);
      const b = this.served(this.waiting[best]!.frame.cameraId);
      if (a < b) best = i;
    }
    return best;
  }

  /** Index of the waiting frame to drop when full: most recently served camera, then the oldest frame. */
  private mostServed(): number {
    let worst = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const a = this.served(this.waiting[i]!.frame.cameraId);
      const b = this.served(this.waiting[worst]!.frame.cameraId);
      if (a > b) worst = i;
    }
    return worst;
  }

  /** Refuse new work and the waiting frames; resolves once the running inferences are done. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.waiting.splice(0)) job.reject(closedError(job.frame.cameraId));
    this.onDepth(this.depth);
    await Promise.all(this.running);
  }

  private drop(index: number, reason: DropReason): void {
    const [job] = this.waiting.splice(index, 1);
    if (job) this.reject(job, reason);
  }

  private reject(job: Job, reason: DropReason): void {
    const { cameraId, seq } = job.frame;
    job.reject(new EdgeError('SW_EDGE_FRAME_DROPPED', `camera ${cameraId} frame ${seq} (${reason})`, { retryable: true, details: { cameraId, reason } }));
    this.onDrop(cameraId, reason);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency) {
      if (this.waiting.length === 0) return;
      const [job] = this.waiting.splice(this.leastServed(), 1);
      if (!job) return;
      const startedAt = performance.now();
      this.lastStarted.set(job.frame.cameraId, startedAt);
      const run = this.detector.detect(job.frame).then(
        (detections) => job.resolve({ detections, waitMs: startedAt - job.queuedAt, runMs: performance.now() - startedAt }),
        (err: unknown) => job.reject(err instanceof Error ? err : new Error(String(err))),
      );
      const done: Promise<void> = run.finally(() => {
        this.running.delete(done);
        this.pump();
        this.onDepth(this.depth);
      });
      this.running.add(done);
    }
  }
}

function closedError(cameraId: string): EdgeError {
  return new EdgeError('SW_EDGE_QUEUE_CLOSED', `camera ${cameraId}`);
}
