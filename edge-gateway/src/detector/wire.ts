/** Messages between WorkerDetector (main thread) and detector/worker.ts (the inference thread). */
import type { BackendInfo } from './backend.js';
import type { DetectorConfig } from './config.js';
import type { Detection } from './types.js';

/** A frame as posted to the thread: `data` is a view on shared memory (or a transferred copy). */
export interface WireFrame {
  cameraId: string;
  seq: number;
  width: number;
  height: number;
  eventTimeMs: number;
  data: Uint8Array;
}

export interface WireError {
  code: string | undefined;
  name: string;
  message: string;
}

export interface WorkerInit {
  config: DetectorConfig;
}

export type ToWorker = { type: 'detect'; id: number; frame: WireFrame };

export type FromWorker =
  | { type: 'ready'; backend: BackendInfo | undefined }
  | { type: 'load-failed'; error: WireError }
  | { type: 'result'; id: number; detections: Detection[]; ms: number }
  | { type: 'error'; id: number; error: WireError };

export function toWire(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { code: typeof code === 'string' ? code : undefined, name: e.name, message: e.message };
}
