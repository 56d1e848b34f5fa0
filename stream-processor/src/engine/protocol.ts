import type { Settings } from '../config/load.js';
import type { ClockRole } from '../state/engine.js';
import type { EngineSnapshot } from '../state/snapshot.js';
import type { RawBatch } from './batch.js';

/** Messages between the consumer thread and an engine worker thread (workers.ts, worker.ts). */
export interface EngineWorkerData {
  /** The config as read: the worker compiles the rules itself (compiled rules hold functions). */
  readonly raw: unknown;
  readonly source: string;
  /** Event-time settings of the running processor (a reload changes rules only). */
  readonly time: Settings['time'];
}

export type EngineRequest = { readonly id: number } & (
  | { readonly op: 'rules'; readonly raw: unknown; readonly source: string }
  | { readonly op: 'open'; readonly engine: number; readonly task: number; readonly wallNow: number; readonly snapshot: EngineSnapshot | undefined }
  | { readonly op: 'drop'; readonly engine: number }
  | { readonly op: 'step'; readonly engine: number; readonly role: ClockRole; readonly batch: RawBatch; readonly wallNow: number; readonly rows: boolean }
  | { readonly op: 'punctuate'; readonly engine: number; readonly wallNow: number; readonly touched: readonly ClockRole[] }
  | { readonly op: 'snapshot'; readonly engine: number }
  | { readonly op: 'crash' }
);

export type EngineReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly code: string; readonly message: string; readonly stack: string } };
