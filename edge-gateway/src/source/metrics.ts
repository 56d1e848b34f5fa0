/**
 * Per-camera stream metrics on a prom-client Registry the caller owns (one set of metric
 * objects per registry; each camera is a `camera` label). Gauges that depend on "now"
 * (last-frame age, decoded fps) are computed at scrape time from the source's own counters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface StreamStats {
  /** Frames per second over the recent window (0 when nothing arrives). */
  decodedFps(nowMs: number): number;
  /** Seconds since the last frame; since start() when none arrived yet. */
  lastFrameAgeSeconds(nowMs: number): number;
  online(): boolean;
}

export interface CameraMetrics {
  register(cameraId: string, stats: StreamStats): void;
  unregister(cameraId: string): void;
  frames: Counter<'camera'>;
  dropped: Counter<'camera'>;
  restarts: Counter<'camera' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, CameraMetrics>();

export function cameraMetrics(registry: Registry, now: () => number = Date.now): CameraMetrics {
  const existing = byRegistry.get(registry);
  if (existing !== undefined) return existing;
  const cameras = new Map<string, StreamStats>();
  const registers = [registry];

  new Gauge({
    name: 'streetwatch_edge_camera_decoded_fps',
    help: 'Analytic frames per second decoded from the camera (recent window)',
    labelNames: ['camera'],
    registers,
    collect() {
      const t = now();
      for (const [camera, s] of cameras) this.set({ camera }, round3(s.decodedFps(t)));
    },
  });
  new Gauge({
    name: 'streetwatch_edge_camera_last_frame_age_seconds',
    help: 'Seconds since the last decoded frame of the camera',
    labelNames: ['camera'],
    registers,
    collect() {
      const t = now();
      for (const [camera, s] of cameras) this.set({ camera }, round3(s.lastFrameAgeSeconds(t)));
    },
  });
  new Gauge({
    name: 'streetwatch_edge_camera_online',
    help: '1 while the camera delivers frames, 0 while it is offline',
    labelNames: ['camera'],
    registers,
    collect() {
      for (const [camera, s] of cameras) this.set({ camera }, s.online() ? 1 : 0);
    },
  });
  const frames = new Counter({
    name: 'streetwatch_edge_camera_frames_total',
    help: 'Analytic frames decoded from the camera',
    labelNames: ['camera'] as const,
    registers,
  });
  const dropped = new Counter({
    name: 'streetwatch_edge_camera_frames_dropped_total',
    help: 'Frames replaced by a newer one while the analytics were busy',
    labelNames: ['camera'] as const,
    registers,
  });
  const restarts = new Counter({
    name: 'streetwatch_edge_camera_restarts_total',
    help: 'Decoder (ffmpeg) restarts, by the reason the previous one stopped',
    labelNames: ['camera', 'reason'] as const,
    registers,
  });

  const metrics: CameraMetrics = {
    register(cameraId, stats) {
      cameras.set(cameraId, stats);
    },
    unregister(cameraId) {
      cameras.delete(cameraId);
      for (const name of ['streetwatch_edge_camera_decoded_fps', 'streetwatch_edge_camera_last_frame_age_seconds', 'streetwatch_edge_camera_online']) {
        (registry.getSingleMetric(name) as Gauge<'camera'> | undefined)?.remove({ camera: cameraId });
      }
    },
    frames,
    dropped,
    restarts,
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
