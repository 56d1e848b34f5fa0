import type { Logger } from 'pino';
import type { Histogram, Registry } from 'prom-client';
import type { Frame } from '../frame.js';
import { initBackend, type BackendInfo } from './backend.js';
import { runCenternet, type ModelRunner, type RawDetection } from './centernet.js';
import { COCO_CLASSES } from './coco.js';
import type { DetectorConfig } from './config.js';
import { AnalyticsError } from './errors.js';
import { inferenceSeconds, reportBackend } from './metrics.js';
import { suppress } from './nms.js';
import { loadRunner } from './runners.js';
import type { Detection, Detector } from './types.js';

export interface DetectorDeps {
  readonly log?: Logger;
  /** Metrics: `streetwatch_edge_detector_backend_info{backend}` and `streetwatch_edge_detector_inference_seconds{camera_id}`. */
  readonly registry?: Registry;
}

/**
 * Detector `type: 'tfjs-graph'`: a COCO TF.js graph model on tfjs-node or wasm; on tfjs-node run
 * as a TensorFlow SavedModel (graph execution) when one was converted (`execution`).
 */
export class TfjsGraphDetector implements Detector {
  private model: ModelRunner | undefined;
  private loading: Promise<void> | undefined;
  private closed = false;
  private backendInfo: BackendInfo | undefined;
  private readonly inference: Histogram<'camera_id'> | undefined;

  constructor(
    private readonly config: DetectorConfig,
    private readonly deps: DetectorDeps = {},
  ) {
    if (deps.registry) this.inference = inferenceSeconds(deps.registry);
  }

  /** The backend chosen at load (undefined before). */
  get backend(): BackendInfo | undefined {
    return this.backendInfo;
  }

  load(): Promise<void> {
    if (this.closed) return Promise.reject(new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', 'detector is closed'));
    this.loading ??= this.doLoad().catch((err: unknown) => {
      this.loading = undefined;
      throw err;
    });
    return this.loading;
  }

  private async doLoad(): Promise<void> {
    const backend = await initBackend({ preference: this.config.backend, nativePackage: this.config.nativePackage }, this.deps.log);
    const t0 = performance.now();
    const { runner, execution, why } = await loadRunner(this.config, backend.name);
    this.model = runner;
    const info: BackendInfo = { ...backend, execution };
    this.backendInfo = info;
    if (this.deps.registry) reportBackend(this.deps.registry, info);
    // Warm-up: the first inference compiles kernels and allocates (~2x a steady frame).
    const size = this.config.inputSize;
    await runCenternet(this.model, { cameraId: 'warmup', seq: 0, width: size, height: size, data: Buffer.alloc(size * size * 3), eventTime: new Date(0) }, size, 1);
    this.deps.log?.info({ model: this.config.model, backend: info.name, execution, ...(why !== undefined && { why }), ms: Math.round(performance.now() - t0) }, `detector model loaded (${info.name}, ${execution === 'graph' ? 'graph execution: SavedModel' : 'op by op'})`);
  }

  async detect(frame: Frame): Promise<Detection[]> {
    const model = this.model;
    if (!model || this.closed) throw new AnalyticsError('SW_EDGE_DETECTOR_NOT_LOADED', `camera ${frame.cameraId}`);
    if (frame.data.length !== frame.width * frame.height * 3) {
      throw new AnalyticsError('SW_EDGE_FRAME_INVALID', `${frame.data.length} bytes for ${frame.width}x${frame.height}`);
    }
    const t0 = performance.now();
    const raw = await runCenternet(model, frame, this.config.inputSize, this.config.scoreThreshold);
    this.inference?.observe({ camera_id: frame.cameraId }, (performance.now() - t0) / 1000);
    return this.toDetections(raw);
  }

  private toDetections(raw: RawDetection[]): Detection[] {
    const out: Detection[] = [];
    for (const r of raw) {
      const className = COCO_CLASSES[r.classId];
      if (className === undefined) continue;
      const objectClass = this.config.classMap[className];
      if (objectClass === undefined) continue;
      const x1 = clamp01(Math.min(r.x1, r.x2));
      const y1 = clamp01(Math.min(r.y1, r.y2));
      const x2 = clamp01(Math.max(r.x1, r.x2));
      const y2 = clamp01(Math.max(r.y1, r.y2));
      if (x2 <= x1 || y2 <= y1) continue;
      out.push({ bbox: { x: x1, y: y1, w: x2 - x1, h: y2 - y1 }, score: r.score, classId: r.classId, className, objectClass });
    }
    out.sort((a, b) => b.score - a.score);
    return suppress(out, this.config.nmsIouThreshold, this.config.nmsGroups).slice(0, this.config.maxDetections);
  }

  close(): Promise<void> {
    this.closed = true;
    this.model?.dispose();
    this.model = undefined;
    return Promise.resolve();
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Get-or-create a metric in a registry (several detectors may share one registry). */
