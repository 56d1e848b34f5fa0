import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { DeadLetterPublisher, decodeContract, type ContractProducer, type ContractValue, type Logger, type Registry } from '@streetwatch/platform';
import {
  TOPICS,
  topicName,
  type CameraHealth,
  type DetectionEvent,
  type InspectionRecord,
  type TopicSpec,
} from '@streetwatch/schemas';
import type { RuleSpec, Settings } from '../config/load.js';
import { ProcessorError } from '../errors.js';
import type { ProcessorMetrics } from '../ops/metrics.js';
import type { HistorySink } from '../sink/history.js';
import { TaskEngine, type EngineOutput } from '../state/engine.js';
import type { TaskStore } from '../state/store.js';
import { Task } from '../state/task.js';
import type { Clock } from '../time/clock.js';
import { CoPartitionAssigner, tasksOf } from './assigner.js';
import { INPUTS, SHOP_VIOLATIONS, type InputRole } from './topics.js';

/**
 * Send in requests of at most CHUNK messages: kafkajs puts a partition's messages of one request
 * into one record batch, which must stay under the topic's max.message.bytes (1 MiB).
 */
const CHUNK = 200;
async function sendChunked<S extends TopicSpec>(
  p: ContractProducer,
  spec: S,
  values: readonly ContractValue<S>[],
  headers?: Record<string, string>,
): Promise<void> {
  for (let i = 0; i < values.length; i += CHUNK) {
    await p.send(spec, values.slice(i, i + CHUNK), headers ? { headers } : {});
  }
}

export interface ProcessorDeps {
  readonly kafka: Kafka;
  readonly producer: ContractProducer;
  readonly sink: HistorySink;
  readonly store: TaskStore;
  readonly registry: Registry;
  readonly metrics: ProcessorMetrics;
  readonly log: Logger;
  readonly clock: Clock;
}

/**
 * The consumer side: one consumer-group member whose tasks (partition numbers, see
 * CoPartitionAssigner) each own keyed state. Per batch: decode (invalid → DLQ), run the rules,
 * produce what they decided and wait for Kafka's acks, then — every checkpoint interval — flush
 * the history sink, write the task snapshot with the next offsets in one PostgreSQL statement,
 * and only then commit the offsets to Kafka. On assignment a task's snapshot is loaded; messages
 * below its offsets are skipped and a fetch position past them is seeked back, so nothing the
 * snapshot does not cover is lost and nothing it covers is applied twice.
 */
export class StreamProcessor {
  private readonly consumer: Consumer;
  private readonly dlq: DeadLetterPublisher;
  private readonly byTopic = new Map<string, { role: InputRole; spec: TopicSpec }>();
  private readonly tasks = new Map<number, Promise<Task>>();
  private readonly inflight = new Set<Promise<unknown>>();
  private rules: readonly RuleSpec[];
  private joined = false;
  private rebalancing = false;
  private crashed: Error | undefined;
  private draining = false;
  private closed = false;

  constructor(
    private readonly settings: Settings,
    rules: readonly RuleSpec[],
    private readonly deps: ProcessorDeps,
  ) {
    this.rules = rules;
    for (const i of INPUTS) this.byTopic.set(topicName(i.spec, settings.topicPrefix), i);
    const c = settings.consumer;
    this.consumer = deps.kafka.consumer({
      groupId: settings.groupId,
      partitionAssigners: [CoPartitionAssigner],
      allowAutoTopicCreation: false,
      sessionTimeout: c.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.min(3000, Math.floor(c.sessionTimeoutMs / 4))),
      rebalanceTimeout: Math.max(c.sessionTimeoutMs, 15000),
      maxBytesPerPartition: c.maxBytesPerPartition,
      maxBytes: c.maxBytes,
      maxWaitTimeInMs: c.maxWaitMs,
    });
    this.dlq = new DeadLetterPublisher(settings.groupId, { producer: deps.producer, registry: deps.registry, log: deps.log });
  }

  get ready(): { ok: boolean; detail?: string } {
    if (this.crashed) return { ok: false, detail: `consumer crashed: ${this.crashed.message}` };
    return this.joined ? { ok: true } : { ok: false, detail: 'not yet in the consumer group' };
  }

  async start(): Promise<void> {
    const { GROUP_JOIN, CRASH, REBALANCING } = this.consumer.events;
    this.consumer.on(REBALANCING, () => {
      this.rebalancing = true;
    });
    this.consumer.on(GROUP_JOIN, (e) => {
      this.rebalancing = false;
      this.onAssignment(e.payload.memberAssignment);
      void this.touchAll();
    });
    this.consumer.on(CRASH, (e) => {
      this.deps.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      if (!e.payload.restart) this.crashed = e.payload.error;
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.byTopic.keys()], fromBeginning: this.settings.consumer.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.settings.consumer.partitionsConsumedConcurrently,
      eachBatch: (payload) => this.track(this.onBatch(payload)),
    });
  }

  /** New rules for every task (state of kept rules stays). */
  async setRules(rules: readonly RuleSpec[]): Promise<void> {
    this.rules = rules;
    for (const task of await this.liveTasks()) {
      await task.serial.run(() => {
        if (!task.evicted) task.engine.setRules(rules);
      });
    }
  }

  /** Punctuation: advance idle partitions, fire due timers, expire state, checkpoint due tasks. */
  async tick(): Promise<void> {
    const now = this.deps.clock.now();
    let windows = 0;
    let timers = 0;
    let shops = 0;
    const tasks = await this.liveTasks();
    // The shop input is derived from detections (re-keyed by shop): while this instance still has
    // detections to read, more shop events are on their way, so the shop partitions are not quiet.
    // (Other instances' backlogs are not visible here; see README, "event time".)
    const upstreamBehind = tasks.some((t) => t.behind.has('detections'));
    for (const task of tasks) {
      await task.serial
        .run(async () => {
          if (task.evicted) return;
          // Event time moves on by the wall clock only on partitions that are really quiet: not
          // while a rebalance stops consumption, nor while messages wait to be fetched.
          for (const role of ['detections', 'shop', 'inspections'] as const) {
            if (this.rebalancing || task.behind.has(role) || (role === 'shop' && upstreamBehind)) task.engine.touch(role, now);
          }
          const out = task.engine.punctuate(now);
          if (!out.empty) {
            await this.emit(out, task);
            task.dirty = true;
          }
          if (task.dirty && now - task.lastCheckpoint >= this.settings.checkpointIntervalMs) await this.checkpoint(task);
          const s = task.engine.sizes();
          windows += s.windows;
          timers += s.timers;
          shops += s.shops;
          for (const role of ['detections', 'shop', 'inspections'] as const) {
            const wm = task.engine.watermark(role);
            if (Number.isFinite(wm)) this.deps.metrics.watermark.set({ input: role, task: String(task.id) }, wm / 1000);
          }
        })
        .catch((err: unknown) => this.fail(task, err, 'punctuation'));
    }
    this.deps.metrics.open.set({ kind: 'windows' }, windows);
    this.deps.metrics.open.set({ kind: 'timers' }, timers);
    this.deps.metrics.open.set({ kind: 'shops' }, shops);
  }

  /** Finish the batches in hand, checkpoint every task (alerts acked, snapshot, commit), leave the group. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    try {
      this.consumer.pause([...this.byTopic.keys()].map((topic) => ({ topic })));
    } catch {
      // not running yet
    }
    await Promise.allSettled([...this.inflight]);
    for (const task of await this.liveTasks()) {
      await task.serial.run(() => this.checkpoint(task)).catch((err: unknown) => this.fail(task, err, 'final checkpoint'));
    }
    await this.consumer.disconnect();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.draining || !isRunning() || isStale()) return;
    const input = this.byTopic.get(batch.topic);
    const first = batch.firstOffset();
    if (!input || first === null) return;
    let task: Task;
    try {
      task = await this.task(batch.partition);
    } catch (err) {
      this.deps.log.error({ err, task: batch.partition }, 'cannot load task state; will retry the batch');
      return this.backoff();
    }
    try {
      const done = await task.serial.run(async () => {
        if (task.evicted || this.draining) return false;
        const pos = task.position(input.role, first);
        if (pos.action === 'seek') {
          task.log.warn({ topic: batch.topic, from: first, to: pos.offset }, 'fetch position is past the snapshot; seeking back');
          this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: pos.offset });
          return false;
        }
        await this.process(task, input, batch.messages, batch.partition, pos.skipBelow);
        task.offsets[input.role] = String(BigInt(batch.lastOffset()) + 1n);
        task.dirty = true;
        const lag = Number(batch.highWatermark) - Number(batch.lastOffset()) - 1;
        if (lag > 0) task.behind.add(input.role);
        else task.behind.delete(input.role);
        this.deps.metrics.lag.set({ topic: input.spec.name, partition: String(batch.partition) }, Math.max(0, lag));
        if (this.deps.clock.now() - task.lastCheckpoint >= this.settings.checkpointIntervalMs) await this.checkpoint(task);
        return true;
      });
      if (done) resolveOffset(batch.lastOffset());
      await heartbeat();
    } catch (err) {
      this.fail(task, err, 'batch');
      await this.backoff();
    }
  }

  private async process(
    task: Task,
    input: { role: InputRole; spec: TopicSpec },
    messages: EachBatchPayload['batch']['messages'],
    partition: number,
    skipBelow: bigint,
  ): Promise<void> {
    const values: unknown[] = [];
    const refused: Parameters<DeadLetterPublisher['publish']>[1][number][] = [];
    // Offsets ascend within a batch: skip the replayed head once instead of a BigInt per message.
    let skipped = 0;
    if (skipBelow >= 0n) {
      while (skipped < messages.length && BigInt((messages[skipped] as (typeof messages)[number]).offset) < skipBelow) skipped++;
    }
    for (let i = skipped; i < messages.length; i++) {
      const m = messages[i] as (typeof messages)[number];
      const d = decodeContract(input.spec.contract, m.value);
      if (d.ok) values.push(d.value);
      else refused.push({ partition, message: m, refusal: d });
    }
    if (skipped > 0) this.deps.metrics.skipped.inc({ topic: input.spec.name }, skipped);
    await this.dlq.publish(input.spec, refused);
    if (values.length === 0) return;
    const now = this.deps.clock.now();
    const engine = task.engine;
    switch (input.role) {
      case 'detections': {
        const events = values as DetectionEvent[];
        await this.emit(engine.detections(events, now), task);
        await this.deps.sink.add({ detections: events });
        break;
      }
      case 'shop':
        await this.emit(engine.shopEvents(values as DetectionEvent[], now), task);
        break;
      case 'inspections':
        await this.emit(engine.inspections(values as InspectionRecord[], now), task);
        break;
      case 'cameraHealth':
        await this.deps.sink.add({ health: values as CameraHealth[] });
        break;
    }
    this.deps.metrics.events.inc({ topic: input.spec.name }, values.length);
  }

  /**
   * Produce what the rules decided. The sends are pipelined: the batch loop does not wait for
   * Kafka's acknowledgement, the task's next checkpoint does (offsets are never saved or committed
   * past output that is not acknowledged). A failed send fails the task at that checkpoint.
   */
  private async emit(out: EngineOutput, task: Task): Promise<void> {
    const m = this.deps.metrics;
    for (const [rule, n] of out.lateByRule) m.late.inc({ rule }, n);
    for (const [k, n] of out.suppressedBy) {
      const [rule = '', reason = ''] = k.split('|');
      m.suppressed.inc({ rule, reason }, n);
    }
    if (out.empty) return;
    const p = this.deps.producer;
    const sent = Promise.all([
      sendChunked(p, TOPICS.alerts, out.alerts),
      sendChunked(p, TOPICS.shopScores, out.scoreChanges),
      sendChunked(p, TOPICS.detectionsLate, out.late, { 'sw-late': 'beyond-grace' }),
      sendChunked(p, SHOP_VIOLATIONS, out.forward),
    ]).then(
      async () => {
        for (const a of out.alerts) {
          m.alerts.inc({ rule: a.ruleId, kind: a.ruleKind });
          task.log.info({ alertId: a.alertId, ruleId: a.ruleId, key: a.key, eventTime: a.eventTime }, 'alert');
        }
        for (const c of out.scoreChanges) m.scoreChanges.inc({ rule: c.ruleId });
        if (out.alerts.length > 0 || out.scoreChanges.length > 0) {
          await this.deps.sink.add({ alerts: out.alerts, scoreChanges: out.scoreChanges });
        }
      },
      (cause: unknown) => {
        throw new ProcessorError('SW_PROC_PRODUCE_FAILED', `task ${task.id}: producing rule output failed`, { cause, retryable: true });
      },
    );
    sent.catch(() => undefined); // surfaced by the checkpoint that awaits it
    task.pending.push(sent);
    if (task.pending.length >= 64) await this.settle(task);
  }

  /** Wait until everything the task sent is acknowledged (throws if a send failed). */
  private async settle(task: Task): Promise<void> {
    while (task.pending.length > 0) {
      const batch = task.pending;
      task.pending = [];
      await Promise.all(batch);
    }
  }

  /** History rows first, then snapshot + offsets (one statement), then the Kafka commit. */
  private async checkpoint(task: Task): Promise<void> {
    if (task.evicted) return;
    await this.settle(task);
    if (!task.dirty) return;
    await this.deps.sink.flush();
    const bytes = await this.deps.store.save(task.id, task.epoch, { ...task.offsets }, task.engine.snapshot());
    task.dirty = false;
    task.lastCheckpoint = this.deps.clock.now();
    this.deps.metrics.checkpoints.inc({ outcome: 'ok' });
    this.deps.metrics.snapshotBytes.set({ task: String(task.id) }, bytes);
    const commits = INPUTS.flatMap((i) => {
      const offset = task.offsets[i.role];
      return offset === undefined ? [] : [{ topic: topicName(i.spec, this.settings.topicPrefix), partition: task.id, offset }];
    });
    await this.consumer.commitOffsets(commits).catch((err: unknown) => {
      task.log.warn({ err }, 'Kafka offset commit failed (PostgreSQL snapshot holds the offsets)');
    });
  }

  private task(id: number): Promise<Task> {
    let p = this.tasks.get(id);
    if (!p) {
      p = this.load(id);
      this.tasks.set(id, p);
      p.catch(() => this.tasks.get(id) === p && this.tasks.delete(id));
      this.deps.metrics.tasks.set(this.tasks.size);
    }
    return p;
  }

  private async load(id: number): Promise<Task> {
    const stored = await this.deps.store.acquire(id);
    const now = this.deps.clock.now();
    const engine = new TaskEngine(id, this.rules, this.settings.time, now, stored.snapshot);
    const log = this.deps.log.child({ partition: id });
    log.info({ epoch: stored.epoch, offsets: stored.offsets, restored: stored.snapshot !== undefined }, 'task acquired');
    return new Task(id, stored.epoch, engine, { ...stored.offsets }, log, now);
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    this.joined = true;
    const mine = tasksOf(assignment);
    this.deps.log.info({ tasks: [...mine].sort((a, b) => a - b) }, 'assignment');
    for (const [id, p] of this.tasks) {
      if (mine.has(id)) continue;
      this.tasks.delete(id);
      void p
        .then((task) =>
          task.serial.run(async () => {
            // Best effort: save progress so the new owner replays less (refused if it already took over).
            await this.checkpoint(task).catch(() => undefined);
            task.evicted = true;
            task.log.info('task revoked');
          }),
        )
        .catch(() => undefined);
    }
    this.deps.metrics.tasks.set(this.tasks.size);
  }

  /** Drop a task's in-memory state after an error: it is reloaded from its snapshot and replayed. */
  private fail(task: Task, err: unknown, during: string): void {
    task.evicted = true;
    if (this.tasks.get(task.id) !== undefined) {
      void this.tasks.get(task.id)?.then((t) => t === task && this.tasks.delete(task.id)).catch(() => undefined);
    }
    const fenced = (err as { code?: string }).code === 'SW_PROC_STATE_FENCED';
    this.deps.metrics.checkpoints.inc({ outcome: fenced ? 'fenced' : 'error' });
    task.log.error({ err, during }, fenced ? 'task taken over by another instance; dropping it' : 'task failed; reloading it from its snapshot');
  }

  /** After a rebalance: the time spent not consuming does not count as quiet. */
  private async touchAll(): Promise<void> {
    const now = this.deps.clock.now();
    for (const task of await this.liveTasks()) {
      for (const role of ['detections', 'shop', 'inspections'] as const) task.engine.touch(role, now);
    }
  }

  private async liveTasks(): Promise<Task[]> {
    const settled = await Promise.allSettled([...this.tasks.values()]);
    return settled.flatMap((s) => (s.status === 'fulfilled' && !s.value.evicted ? [s.value] : []));
  }

  private backoff(): Promise<void> {
    return new Promise((r) => setTimeout(r, 200).unref());
  }
}
