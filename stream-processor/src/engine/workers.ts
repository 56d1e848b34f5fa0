import { Worker } from 'node:worker_threads';
import type { Logger } from '@streetwatch/platform';
import type { ProcessorConfig } from '../config/load.js';
import { ProcessorError, type ProcessorErrorCode, PROCESSOR_ERRORS } from '../errors.js';
import type { ProcessorMetrics } from '../ops/metrics.js';
import type { ClockRole } from '../state/engine.js';
import type { EngineSnapshot } from '../state/snapshot.js';
import { transferList, type RawBatch } from './batch.js';
import type { EngineHandle, PunctuateResult, TaskEngines } from './host.js';
import type { EngineReply, EngineRequest, EngineWorkerData } from './protocol.js';
import type { StepResult } from './step.js';

// Compiled: ./worker.js next to this file; under a TypeScript loader (tests, tsx): ./worker.ts.
const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

type Request = EngineRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

interface Slot {
  worker: Worker;
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

/**
 * Task engines on worker threads: a task's decode, validation and rules run on worker
 * `task % workers`, so the consumer's thread keeps only Kafka I/O, produce and checkpoints (the
 * JSON parse + schema validation alone cost about as much CPU as kafkajs' fetch). A batch's
 * values cross in one transferred buffer; the rules' output (alerts etc., a few per cent of the
 * input) comes back by structured clone. A worker that dies is replaced at once; the engines it
 * held are gone, and their tasks' next call fails with SW_PROC_ENGINE_LOST, so the processor
 * reloads them from their snapshots (as after any task failure).
 */
export class WorkerEngines implements TaskEngines {
  private readonly slots: Slot[] = [];
  private config: { raw: unknown; source: string };
  private readonly time: ProcessorConfig['settings']['time'];
  private seq = 0;
  private engineSeq = 0;
  private closing = false;

  constructor(
    count: number,
    config: ProcessorConfig,
    private readonly deps: { readonly log: Logger; readonly metrics: ProcessorMetrics },
  ) {
    this.config = { raw: config.raw, source: config.source };
    this.time = config.settings.time;
    for (let i = 0; i < count; i++) this.slots.push(this.spawn(i));
  }

  async open(task: number, wallNow: number, snapshot: EngineSnapshot | undefined): Promise<EngineHandle> {
    const slot = this.slots[task % this.slots.length] as Slot;
    const engine = ++this.engineSeq;
    await this.call(slot, { op: 'open', engine, task, wallNow, snapshot });
    return {
      step: (role: ClockRole, batch: RawBatch, now: number, rows: boolean) =>
        this.call(slot, { op: 'step', engine, role, batch, wallNow: now, rows }, transferList(batch)) as Promise<StepResult>,
      punctuate: (now: number, touched: readonly ClockRole[]) =>
        this.call(slot, { op: 'punctuate', engine, wallNow: now, touched }) as Promise<PunctuateResult>,
      snapshot: () => this.call(slot, { op: 'snapshot', engine }) as Promise<EngineSnapshot>,
      drop: () => void this.call(slot, { op: 'drop', engine }).catch(() => undefined),
    };
  }

  async setRules(config: ProcessorConfig): Promise<void> {
    this.config = { raw: config.raw, source: config.source };
    await Promise.all(this.slots.map((s) => this.call(s, { op: 'rules', raw: config.raw, source: config.source })));
  }

  /** Tests: make worker `i` die of an uncaught error. */
  crash(i: number): void {
    void this.call(this.slots[i] as Slot, { op: 'crash' }).catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(index: number): Slot {
    const data: EngineWorkerData = { ...this.config, time: this.time };
    const worker = new Worker(WORKER_URL, { workerData: data, name: `engine-${index}` });
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (reply: EngineReply) => {
      const p = slot.pending.get(reply.id);
      if (!p) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) p.resolve(reply.result);
      else {
        const code = (reply.error.code in PROCESSOR_ERRORS ? reply.error.code : 'SW_PROC_ENGINE_FAILED') as ProcessorErrorCode;
        const err = new ProcessorError(code, reply.error.message, { retryable: true });
        err.stack = reply.error.stack;
        p.reject(err);
      }
    });
    worker.on('error', (err) => this.deps.log.error({ err, worker: index }, 'engine worker thread failed'));
    worker.on('exit', (code) => {
      const lost = new ProcessorError('SW_PROC_ENGINE_LOST', `engine worker ${index} exited (code ${code})`, { retryable: true });
      for (const p of slot.pending.values()) p.reject(lost);
      slot.pending.clear();
      if (this.closing) return;
      this.deps.metrics.engineRestarts.inc();
      this.deps.log.error({ worker: index, code }, 'engine worker thread exited; starting a new one (its tasks reload from their snapshots)');
      this.slots[index] = this.spawn(index);
    });
    // Keeps the process alive only while a call waits for it.
    worker.unref();
    return slot;
  }

  private call(slot: Slot, req: Request, transfer: ArrayBuffer[] = []): Promise<unknown> {
    // A slot replaced after a crash: its engines are gone.
    if (!this.slots.includes(slot)) {
      return Promise.reject(new ProcessorError('SW_PROC_ENGINE_LOST', 'the engine worker holding this task was restarted', { retryable: true }));
    }
    if (this.closing) return Promise.reject(new ProcessorError('SW_PROC_ENGINE_LOST', 'the engines are closed', { retryable: true }));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref();
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ ...req, id }, transfer);
    });
  }
}
