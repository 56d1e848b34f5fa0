import type { Kafka } from 'kafkajs';
import {
  checkPool,
  ConfigError,
  ContractProducer,
  createOpsServer,
  Lifecycle,
  listen,
  migrate,
  provisionTopics,
  type Logger,
  type Pool,
  type Registry,
  type StorageMode,
} from '@streetwatch/platform';
import { TOPICS, topicName } from '@streetwatch/schemas';
import { fileURLToPath } from 'node:url';
import { loadProcessorConfig, type ProcessorConfig } from './config/load.js';
import { StreamProcessor } from './consumer/processor.js';
import { LocalEngines, type TaskEngines } from './engine/host.js';
import { WorkerEngines } from './engine/workers.js';
import { INTERNAL_TOPICS, SHOP_VIOLATIONS } from './consumer/topics.js';
import { ProcessorError } from './errors.js';
import { processorMetrics, type ProcessorMetrics } from './ops/metrics.js';
import { HistorySink } from './sink/history.js';
import { TaskStore } from './state/store.js';
import { systemClock, type Clock } from './time/clock.js';
import { Punctuator } from './time/punctuator.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations', import.meta.url));

export interface AppDeps {
  readonly kafka: Kafka;
  readonly pool: Pool;
  readonly pgTarget: { host: string; port: number; database: string };
  readonly registry: Registry;
  readonly log: Logger;
  readonly clock?: Clock;
}

/**
 * The whole stream processor, wired: migrations, the internal topic, producer, history sink,
 * consumer/tasks, punctuator and the ops server. `close()` stops in reverse order under the
 * shutdown grace: punctuator, consumer (finishes the batch in hand, produces, checkpoints,
 * commits), sink (flush), producer, ops server.
 */
export class ProcessorApp {
  private readonly lifecycle: Lifecycle;
  private readonly clock: Clock;
  readonly metrics: ProcessorMetrics;
  private processor: StreamProcessor | undefined;
  /** Where the tasks' engines run (set by start()). */
  engines: TaskEngines | undefined;
  private config: ProcessorConfig;
  private opsUrl: string | undefined;
  storageMode: StorageMode | undefined;

  constructor(
    config: ProcessorConfig,
    private readonly deps: AppDeps,
  ) {
    this.config = config;
    this.clock = deps.clock ?? systemClock;
    this.lifecycle = new Lifecycle(deps.log);
    this.metrics = processorMetrics(deps.registry);
  }

  get url(): string | undefined {
    return this.opsUrl;
  }

  get rules(): ProcessorConfig['rules'] {
    return this.config.rules;
  }

  async start(): Promise<void> {
    const { settings } = this.config;
    const { kafka, pool, registry, log } = this.deps;
    await checkPool(pool, this.deps.pgTarget);
    const m = await migrate(pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: settings.sink.storage });
    this.storageMode = m.mode;
    log.info({ mode: m.mode, asked: settings.sink.storage, applied: m.applied }, 'migrations');
    if (m.fallback) log.warn({ reason: m.fallback }, 'history runs on plain PostgreSQL: TimescaleDB cannot be enabled here');
    await this.ensureTopics();

    const ops = createOpsServer({
      registry,
      log,
      readiness: {
        kafka: () => this.processor?.ready ?? { ok: false, detail: 'not started' },
        postgres: async () => {
          await pool.query('SELECT 1');
          return { ok: true };
        },
      },
    });
    this.opsUrl = await listen(ops, settings.ops);
    this.lifecycle.add('ops server', () => ops.close());
    log.info({ url: this.opsUrl }, 'ops server listening');

    const producer = new ContractProducer({ prefix: settings.topicPrefix }, { kafka, registry });
    await producer.start();
    this.lifecycle.add('producer', () => producer.close());

    const sink = new HistorySink(settings.sink, { pool, mode: m.mode, registry, log: log.child({ component: 'sink' }), clock: this.clock });
    await sink.applyRetention();
    sink.start();
    this.lifecycle.add('history sink', () => sink.close());

    const engines =
      settings.engine.workers > 0
        ? new WorkerEngines(settings.engine.workers, this.config, { log: log.child({ component: 'engines' }), metrics: this.metrics })
        : new LocalEngines(this.config.rules, settings.time);
    this.engines = engines;
    this.lifecycle.add('engines', () => engines.close());

    const store = new TaskStore(pool, settings.groupId);
    const processor = new StreamProcessor(settings, {
      engines,
      kafka,
      producer,
      sink,
      store,
      registry,
      metrics: this.metrics,
      log: log.child({ component: 'processor' }),
      clock: this.clock,
    });
    this.processor = processor;
    this.lifecycle.add('consumer', () => processor.close());
    await processor.start();

    const punctuator = new Punctuator(settings.time.punctuateIntervalMs, { clock: this.clock, log, tick: () => processor.tick() });
    punctuator.start();
    this.lifecycle.add('punctuator', () => punctuator.close());
    log.info({ groupId: settings.groupId, rules: this.config.rules.map((r) => r.id) }, 'stream processor started');
  }

  /** One punctuation now (tests drive time by hand with a ManualClock). */
  async tick(): Promise<void> {
    await this.processor?.tick();
  }

  /**
   * Apply a new config's rules. Rules that keep their id (and kind) keep their state. Changed
   * `processor` settings need a restart and are reported, not applied.
   */
  async reload(next: ProcessorConfig): Promise<void> {
    if (JSON.stringify(next.settings) !== JSON.stringify(this.config.settings)) {
      this.deps.log.warn('processor settings changed in the config file: they take effect on restart; rules are reloaded now');
    }
    this.config = { ...next, settings: this.config.settings };
    await this.processor?.setRules(next);
    this.metrics.reloads.inc({ outcome: 'ok' });
    this.deps.log.info({ rules: next.rules.map((r) => r.id) }, 'rules reloaded');
  }

  /** Reload from a file; a bad file is refused loudly and the running rules stay. Returns success. */
  async reloadFile(file: string): Promise<boolean> {
    let next: ProcessorConfig;
    try {
      next = loadProcessorConfig(file);
    } catch (err) {
      this.metrics.reloads.inc({ outcome: 'rejected' });
      const lines = err instanceof ConfigError ? err.lines() : [(err as Error).message];
      this.deps.log.error({ err, problems: lines }, `REJECTED new rules from ${file}; the previous rules stay in force`);
      return false;
    }
    await this.reload(next);
    return true;
  }

  /** Graceful stop; resolves with the components that failed to close in time. */
  async close(graceMs = this.config.settings.shutdownGraceMs): Promise<Array<{ name: string; error: Error }>> {
    return this.lifecycle.close(graceMs);
  }

  private async ensureTopics(): Promise<void> {
    const { settings } = this.config;
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      const r = await provisionTopics(admin, INTERNAL_TOPICS, { prefix: settings.topicPrefix });
      if (r.created.length > 0) this.deps.log.info({ created: r.created }, 'internal topics created');
      const names = [TOPICS.inspections, SHOP_VIOLATIONS].map((s) => topicName(s, settings.topicPrefix));
      const meta = await admin.fetchTopicMetadata({ topics: names });
      const counts = meta.topics.map((t) => t.partitions.length);
      if (new Set(counts).size !== 1) {
        throw new ProcessorError('SW_PROC_COPARTITION', `${names.join(' and ')} must have the same partition count (have ${counts.join(', ')})`);
      }
    } finally {
      await admin.disconnect();
    }
  }
}
