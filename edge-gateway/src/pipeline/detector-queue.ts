/**
 * One detector per process, shared by every camera: inferences run one at a time in arrival
 * order (TF.js backends are process-global and the wasm backend is single-threaded, so running
 * two at once would only interleave them). A camera waits for its turn inside its frame handler,
 * so a live source meanwhile keeps only its newest frame: the queue never holds more than one
 * frame per camera.
 */
import type { Detection, Detector } from '../detector/types.js';
import { EdgeError } from '../errors.js';
import type { Frame } from '../frame.js';

export interface QueuedDetection {
  detections: Detection[];
  /** Time spent waiting for other cameras' inferences (ms). */
  waitMs: number;
  /** Time of this inference (ms). */
  runMs: number;
}

export class DetectorQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closed = false;
  private readonly onDepth: (depth: number) => void;

  constructor(
    private readonly detector: Detector,
    deps: { onDepth?: (depth: number) => void } = {},
  ) {
    this.onDepth = deps.onDepth ?? (() => {});
  }

  /** Frames queued or running. */
  get depth(): number {
    return this.waiting;
  }

  /**
   * Detect on `frame` when its turn comes. `frame.data` must stay valid until this resolves
   * (callers await it inside the source's frame handler).
   */
  detect(frame: Frame): Promise<QueuedDetection> {
    if (this.closed) return Promise.reject(closedError(frame.cameraId));
    const queuedAt = performance.now();
    this.waiting++;
    this.onDepth(this.waiting);
    const run = this.tail.then(async () => {
      if (this.closed) throw closedError(frame.cameraId);
      const startedAt = performance.now();
      const detections = await this.detector.detect(frame);
      return { detections, waitMs: startedAt - queuedAt, runMs: performance.now() - startedAt };
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.tail = settled;
    void settled.then(() => {
      this.waiting--;
      this.onDepth(this.waiting);
    });
    return run;
  }

  /** Refuse new work; queued frames are refused when their turn comes; resolves once the running inference is done. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }
}

function closedError(cameraId: string): EdgeError {
  return new EdgeError('SW_EDGE_QUEUE_CLOSED', `camera ${cameraId}`);
}
