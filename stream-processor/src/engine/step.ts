import { decodeContract, type Refusal } from '@streetwatch/platform';
import type { Alert, ContractName, DetectionEvent, InspectionRecord, ShopScoreChange } from '@streetwatch/schemas';
import { utcDays, type SinkRows } from '../sink/rows.js';
import type { ClockRole, TaskEngine } from '../state/engine.js';
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

/** Decode and validate one batch of `role` and run it through the task's rules. */
export function stepEngine(engine: TaskEngine, role: ClockRole, batch: RawBatch, wallNow: number, wantRows: boolean): StepResult {
  const contract = CONTRACT[role];
  const values: unknown[] = [];
  const refused: Array<Refusal & { index: number }> = [];
  const texts: Buffer[] = [];
  let index = 0;
  for (const raw of unpackBatch(batch)) {
    const d = decodeContract(contract, raw);
    if (d.ok) {
      values.push(d.value);
      if (wantRows && raw) {
        if (texts.length > 0) texts.push(COMMA);
        texts.push(raw);
      }
    } else {
      refused.push({ index, code: d.code, reason: d.reason, errors: d.errors });
    }
    index++;
  }
  let out: EngineOutputData;
  if (values.length === 0) out = EMPTY;
  else if (role === 'detections') out = engine.detections(values as DetectionEvent[], wallNow);
  else if (role === 'shop') out = engine.shopEvents(values as DetectionEvent[], wallNow);
  else out = engine.inspections(values as InspectionRecord[], wallNow);
  const rows =
    wantRows && values.length > 0
      ? {
          json: Buffer.concat(texts).toString('utf8'),
          count: values.length,
          days: [...utcDays((values as DetectionEvent[]).map((v) => v.eventTime))],
        }
      : undefined;
  return { out, refused, valid: values.length, ...(rows ? { rows } : {}) };
}

const EMPTY: EngineOutputData = Object.freeze({
  alerts: [],
  scoreChanges: [],
  late: [],
  forward: [],
  lateByRule: new Map<string, number>(),
  suppressedBy: new Map<string, number>(),
});
