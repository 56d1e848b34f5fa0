import { decodeContract, type Refusal } from '@streetwatch/platform';
import type { Alert, ContractName, DetectionEvent, InspectionRecord, ShopScoreChange } from '@streetwatch/schemas';
import { utcDays, type SinkRows } from '../sink/rows.js';
import { EngineOutput, type ClockRole, type TaskEngine } from '../state/engine.js';
import { unpackBatch, type RawBatch } from './batch.js';

/** What the rules decided in one step, as plain data (it crosses threads by structured clone). */
export interface EngineOutputData {
  readonly alerts: readonly Alert[];
  readonly scoreChanges: readonly ShopScoreChange[];
  readonly late: readonly DetectionEvent[];
  readonly forward: readonly DetectionEvent[];
  readonly lateByRule: ReadonlyMap<string, number>;
  readonly suppressedBy: ReadonlyMap<string, number>;
}

export const outputEmpty = (o: EngineOutputData): boolean =>
  o.alerts.length + o.scoreChanges.length + o.late.length + o.forward.length === 0;

export type { SinkRows };

export interface StepResult {
  readonly out: EngineOutputData;
  /** Messages refused by their contract, by index in the batch (→ the topic's DLQ). */
  readonly refused: ReadonlyArray<Refusal & { readonly index: number }>;
  readonly valid: number;
  readonly rows?: SinkRows;
}

const CONTRACT: Record<ClockRole, ContractName> = { detections: 'DetectionEvent', shop: 'DetectionEvent', inspections: 'InspectionRecord' };
const COMMA = Buffer.from(',');

/**
 * Detection events go through the rules this many at a time, as they are decoded. A whole batch
 * (thousands of events) decoded before the rules run keeps every parsed event alive through the
 * young-generation collections on the way, which copy and then promote them: most of the engine
 * thread's GC work. Chunks change nothing the rules see: events still arrive one by one, in order,
 * into one output.
 */
const CHUNK = 64;

/** Decode and validate one batch of `role` and run it through the task's rules. */
export function stepEngine(engine: TaskEngine, role: ClockRole, batch: RawBatch, wallNow: number, wantRows: boolean): StepResult {
  const contract = CONTRACT[role];
  const refused: Array<Refusal & { index: number }> = [];
  const texts: Buffer[] = [];
  const times: string[] = [];
  // Detections run through the rules chunk by chunk; the other inputs (few, and their engine calls
  // end with a clock step) in one call.
  const chunked = role === 'detections';
  const out = new EngineOutput();
  let values: unknown[] = [];
  let valid = 0;
  let index = 0;
  const run = (): void => {
    if (values.length === 0) return;
    if (role === 'detections') engine.detections(values as DetectionEvent[], wallNow, out);
    else if (role === 'shop') engine.shopEvents(values as DetectionEvent[], wallNow, out);
    else engine.inspections(values as InspectionRecord[], wallNow, out);
    values = [];
  };
  for (const raw of unpackBatch(batch)) {
    const d = decodeContract(contract, raw);
    if (d.ok) {
      values.push(d.value);
      valid++;
      if (wantRows && raw) {
        if (texts.length > 0) texts.push(COMMA);
        texts.push(raw);
        times.push((d.value as DetectionEvent).eventTime);
      }
      if (chunked && values.length === CHUNK) run();
    } else {
      refused.push({ index, code: d.code, reason: d.reason, errors: d.errors });
    }
    index++;
  }
  run();
  const rows = wantRows && valid > 0 ? { json: Buffer.concat(texts).toString('utf8'), count: valid, days: [...utcDays(times)] } : undefined;
  return { out: valid === 0 ? EMPTY : out, refused, valid, ...(rows ? { rows } : {}) };
}

const EMPTY: EngineOutputData = Object.freeze({
  alerts: [],
  scoreChanges: [],
  late: [],
  forward: [],
  lateByRule: new Map<string, number>(),
  suppressedBy: new Map<string, number>(),
});
