import type { ProcessorConfig, RuleSpec, Settings } from '../config/load.js';
import { ProcessorError } from '../errors.js';
import { TaskEngine, type ClockRole } from '../state/engine.js';
import type { EngineSnapshot } from '../state/snapshot.js';
import type { RawBatch } from './batch.js';
import { stepEngine, type EngineOutputData, type StepResult } from './step.js';

export interface PunctuateResult {
  readonly out: EngineOutputData;
  readonly sizes: { windows: number; timers: number; shops: number };
  readonly watermarks: Readonly<Record<ClockRole, number>>;
}

/** One task's engine, wherever it runs. Calls for one task must not overlap (Task.serial). */
export interface EngineHandle {
  /** Decode + validate a batch of `role` and run the rules (`rows`: also return the sink rows). */
  step(role: ClockRole, batch: RawBatch, wallNow: number, rows: boolean): Promise<StepResult>;
  /** Mark `touched` inputs as not quiet, then advance idle partitions, fire timers, expire state. */
  punctuate(wallNow: number, touched: readonly ClockRole[]): Promise<PunctuateResult>;
  snapshot(): Promise<EngineSnapshot>;
  /** Forget the engine (task revoked or failed); later calls reject. */
  drop(): void;
}

/** Where the tasks' engines run: on the consumer's thread, or on worker threads (engine/workers.ts). */
export interface TaskEngines {
  open(task: number, wallNow: number, snapshot: EngineSnapshot | undefined): Promise<EngineHandle>;
  /** New rules for every engine: rules that keep id and kind keep their state. */
  setRules(config: ProcessorConfig): Promise<void>;
  close(): Promise<void>;
}

export function punctuateEngine(engine: TaskEngine, wallNow: number, touched: readonly ClockRole[]): PunctuateResult {
  for (const role of touched) engine.touch(role, wallNow);
  const out = engine.punctuate(wallNow);
  return {
    out,
    sizes: engine.sizes(),
    watermarks: { detections: engine.watermark('detections'), shop: engine.watermark('shop'), inspections: engine.watermark('inspections') },
  };
}

/** Engines on the calling thread (`engine.workers: 0`; also what each worker thread runs). */
export class LocalEngines implements TaskEngines {
  private readonly engines = new Map<number, TaskEngine>();
  private seq = 0;

  constructor(
    private rules: readonly RuleSpec[],
    private readonly time: Settings['time'],
  ) {}

  /** A new engine under `id` (the worker thread's dispatcher names them; see workers.ts). */
  create(id: number, task: number, wallNow: number, snapshot: EngineSnapshot | undefined): TaskEngine {
    const engine = new TaskEngine(task, this.rules, this.time, wallNow, snapshot);
    this.engines.set(id, engine);
    return engine;
  }

  get(id: number): TaskEngine | undefined {
    return this.engines.get(id);
  }

  delete(id: number): void {
    this.engines.delete(id);
  }

  open(task: number, wallNow: number, snapshot: EngineSnapshot | undefined): Promise<EngineHandle> {
    const id = ++this.seq;
    this.create(id, task, wallNow, snapshot);
    const engine = (): TaskEngine => {
      const e = this.engines.get(id);
      if (!e) throw new ProcessorError('SW_PROC_ENGINE_LOST', `task ${task}: its engine was dropped`);
      return e;
    };
    return Promise.resolve({
      step: async (role, batch, now, rows) => stepEngine(engine(), role, batch, now, rows),
      punctuate: async (now, touched) => punctuateEngine(engine(), now, touched),
      snapshot: async () => engine().snapshot(),
      drop: () => this.delete(id),
    });
  }

  setRulesSync(rules: readonly RuleSpec[]): void {
    this.rules = rules;
    for (const e of this.engines.values()) e.setRules(rules);
  }

  setRules(config: ProcessorConfig): Promise<void> {
    this.setRulesSync(config.rules);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.engines.clear();
    return Promise.resolve();
  }
}
