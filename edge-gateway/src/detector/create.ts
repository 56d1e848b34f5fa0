import { isMainThread } from 'node:worker_threads';
import { setNativeThreads } from './backend.js';
import type { DetectorConfig } from './config.js';
import { TfjsGraphDetector, type DetectorDeps } from './tfjs-graph.js';
import type { Detector } from './types.js';
import { WorkerDetector } from './worker-detector.js';

/**
 * Select the detector implementation by the config's `type` key; with `workers` > 0 (the
 * default) it runs in that many worker threads behind the same interface, so inference never
 * blocks the event loop.
 */
export function createDetector(config: DetectorConfig, deps: DetectorDeps = {}): Detector {
  // libtensorflow reads its thread counts from the process environment when it starts.
  if (isMainThread && config.backend !== 'wasm') setNativeThreads(config.nativeThreads, config.nativeOneDnn, process.env, config.workers);
  return config.workers > 0 ? new WorkerDetector(config, deps) : createInProcessDetector(config, deps);
}

/** The `type`'s implementation on the calling thread (what each worker thread runs). */
export function createInProcessDetector(config: DetectorConfig, deps: DetectorDeps = {}): Detector {
  switch (config.type) {
    case 'tfjs-graph':
      return new TfjsGraphDetector(config, deps);
  }
}
