import { counter, gauge, histogram, type Registry } from '@streetwatch/platform';
import type { BackendInfo } from './backend.js';

/**
 * The detector's series, get-or-create on the gateway's registry: the detector on the main thread
 * (tfjs-graph.ts) and the one driving worker threads (worker-detector.ts) report the same ones.
 */
export const inferenceSeconds = (r: Registry) =>
  histogram(r, 'streetwatch_edge_detector_inference_seconds', 'Detector time per frame (preprocess + model + decode)', ['camera_id'], [
    0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5,
  ]);

export const workerRestarts = (r: Registry) =>
  counter(r, 'streetwatch_edge_detector_worker_restarts_total', 'Detector worker threads replaced, by why (exit, error, timeout, load_failed)', ['reason']);

export const frameCopies = (r: Registry) =>
  counter(r, 'streetwatch_edge_detector_frame_copies_total', 'Frames copied to reach a detector thread (buffer not in shared memory; sampler frames never are)');

/**
 * The TF.js backend in use (value 1): backend `tensorflow` (native) or `wasm`, SIMD and threads,
 * execution `graph` (SavedModel) or `ops`, and `fallback` = why the native backend was not used
 * under `auto` ('' when it is). A box on wasm that should be native shows up as
 * `streetwatch_edge_detector_backend_info{backend="wasm", fallback!=""}`.
 */
export function reportBackend(r: Registry, info: BackendInfo): void {
  gauge(r, 'streetwatch_edge_detector_backend_info', 'TF.js backend in use (value 1): backend, SIMD and threads, execution (graph: SavedModel, ops: op by op), fallback (why not native)', [
    'backend',
    'simd',
    'threads',
    'execution',
    'fallback',
  ]).set({ backend: info.name, simd: String(info.simd), threads: String(info.threads), execution: info.execution ?? 'ops', fallback: (info.fallbackReason ?? '').slice(0, 120) }, 1);
}
