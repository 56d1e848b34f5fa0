import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { DeadLetterPublisher, decodeContract, type ContractProducer, type Logger, type Registry } from '@streetwatch/platform';
import { topicName, type Alert, type CameraHealth, type FlowCount, type TopicSpec } from '@streetwatch/schemas';
import type { ProcessorConfig, Settings } from '../config/load.js';
import { packBatch } from '../engine/batch.js';
import type { TaskEngines } from '../engine/host.js';
import { outputEmpty } from '../engine/step.js';
import type { ProcessorMetrics } from '../ops/metrics.js';
import type { HistorySink } from '../sink/history.js';
import type { ClockRole } from '../state/engine.js';
import type { TaskStore } from '../state/store.js';
import { Task } from '../state/task.js';
import type { Clock } from '../time/clock.js';
import { CoPartitionAssigner, tasksOf } from './assigner.js';
import { RuleOutput } from './output.js';
import { INPUTS, type InputRole } from './topics.js';
import { cameraTamperAlert } from '../rules/camera-health.js';

export interface ProcessorDeps {
  readonly kafka: Kafka;
  readonly producer: ContractProducer;
  readonly sink: HistorySink;
  readonly store: TaskStore;
  readonly registry: Registry;
  readonly metrics: ProcessorMetrics;
  readonly log: Logger;
  readonly clock: Clock;
  /** Where the tasks' decode + rules run (this thread or worker threads). */
  readonly engines: TaskEngines;
}

const CLOCK_ROLES: readonly ClockRole[] = ['detections', 'shop', 'inspections'];

/** Batches a task may have queued (fetched, not yet processed) before its fetches wait. */
const AHEAD = 2;

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
  private readonly output: RuleOutput;
  private readonly byTopic = new Map<string, { role: InputRole; spec: TopicSpec }>();
  private readonly tasks = new Map<number, Promise<Task>>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** Seeks issued per `topic|partition`: a batch fetched before the latest one is stale. */
  private readonly seeks = new Map<string, number>();
  private readonly lastHeard = new Map<string, { at: number; gateway: string; beats: boolean }>();
  private joined = false;
  private rebalancing = false;
  private crashed: Error | undefined;
  private draining = false;
  private closed = false;

  constructor(
    private readonly settings: Settings,
    private readonly deps: ProcessorDeps,
  ) {
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
    this.output = new RuleOutput({ producer: deps.producer, sink: deps.sink, metrics: deps.metrics });
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
  async setRules(config: ProcessorConfig): Promise<void> {
    await this.deps.engines.setRules(config);
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
          // (A rebalance that just ended counts too: the time spent not consuming was not quiet.)
          const rejoined = task.rejoined;
          task.rejoined = false;
          const touched = CLOCK_ROLES.filter(
            (role) => rejoined || this.rebalancing || task.behind.has(role) || (role === 'shop' && upstreamBehind),
          );
          const r = await task.engine.punctuate(now, touched);
          // The watermark gauge first: whatever the punctuation emits happened at this watermark.
          for (const role of CLOCK_ROLES) {
            const wm = r.watermarks[role];
            if (Number.isFinite(wm)) this.deps.metrics.watermark.set({ input: role, task: String(task.id) }, wm / 1000);
          }
          windows += r.sizes.windows;
          timers += r.sizes.timers;
          shops += r.sizes.shops;
          if (!outputEmpty(r.out)) {
            await this.output.emit(r.out, task);
            task.dirty = true;
          }
          if (task.dirty && now - task.lastCheckpoint >= this.settings.checkpointIntervalMs) await this.checkpoint(task);
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

  /**
   * Queue a fetched batch on its task and let kafkajs fetch on: kafkajs fetches again only when
   * every batch of the last fetch is handled, so waiting here for the engine (another thread)
   * would leave this thread and the engine taking turns. The fetch position moves on now; the
   * task's offsets (what a checkpoint saves and commits) only once the batch is processed. At most
   * AHEAD batches wait per task. A batch queued before a seek back (see Task.position) is dropped
   * in the queue: the fetch from the sought offset brings it again.
   */
  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.draining || !isRunning() || isStale()) return;
    const input = this.byTopic.get(batch.topic);
    const first = batch.firstOffset();
    if (!input || first === null) return;
    // Taken before anything async: a seek issued after this point makes the batch stale.
    const where = `${batch.topic}|${batch.partition}`;
    const fetchedUnder = this.seeks.get(where) ?? 0;
    let task: Task;
    try {
      task = await this.task(batch.partition);
    } catch (err) {
      this.deps.log.error({ err, task: batch.partition }, 'cannot load task state; will retry the batch');
      return this.backoff();
    }
    if (task.evicted) return; // being replaced: this batch is fetched again
    const role = input.role;
    const done = task.serial
      .run(async () => {
        if (task.evicted || this.draining || (this.seeks.get(where) ?? 0) !== fetchedUnder) return;
        const pos = task.position(role, first);
        if (pos.action === 'seek') {
          task.log.warn({ topic: batch.topic, from: first, to: pos.offset }, 'fetch position is past the snapshot; seeking back');
          this.seeks.set(where, fetchedUnder + 1);
          this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: pos.offset });
          return;
        }
        await this.process(task, input, batch.messages, batch.partition, pos.skipBelow);
        task.offsets[role] = String(BigInt(batch.lastOffset()) + 1n);
        task.dirty = true;
        const lag = Number(batch.highWatermark) - Number(batch.lastOffset()) - 1;
        if (lag > 0) task.behind.add(role);
        else task.behind.delete(role);
        this.deps.metrics.lag.set({ topic: input.spec.name, partition: String(batch.partition) }, Math.max(0, lag));
        if (this.deps.clock.now() - task.lastCheckpoint >= this.settings.checkpointIntervalMs) await this.checkpoint(task);
      })
      .catch((err: unknown) => {
        this.fail(task, err, 'batch');
        return this.backoff();
      });
    void this.track(done);
    resolveOffset(batch.lastOffset());
    task.queued.push(done);
    void done.finally(() => task.queued.shift());
    // Back-pressure: wait for the oldest queued batch of this task once AHEAD are waiting.
    if (task.queued.length > AHEAD) await task.queued[0];
    await heartbeat();
  }

  private async process(
    task: Task,
    input: { role: InputRole; spec: TopicSpec },
    messages: EachBatchPayload['batch']['messages'],
    partition: number,
    skipBelow: bigint,
  ): Promise<void> {
    // Offsets ascend within a batch: skip the replayed head once instead of a BigInt per message.
    let skipped = 0;
    if (skipBelow >= 0n) {
      while (skipped < messages.length && BigInt((messages[skipped] as (typeof messages)[number]).offset) < skipBelow) skipped++;
    }
    if (skipped > 0) this.deps.metrics.skipped.inc({ topic: input.spec.name }, skipped);
    if (skipped === messages.length) return;
    const refused: Parameters<DeadLetterPublisher['publish']>[1][number][] = [];
    let valid = 0;
    if (input.role === 'cameraHealth') {
      const health: CameraHealth[] = [];
      for (let i = skipped; i < messages.length; i++) {
        const m = messages[i] as (typeof messages)[number];
        const d = decodeContract(input.spec.contract, m.value);
        if (d.ok) health.push(d.value as CameraHealth);
        else refused.push({ partition, message: m, refusal: d });
      }
      await this.dlq.publish(input.spec, refused);
      if (health.length > 0) await this.deps.sink.add({ health });
      this.noteHeard(health);
      // a tampered camera is an alert for its owner (routed like any alert)
      const alerts = health.map((h) => cameraTamperAlert(h, this.deps.clock.now())).filter((a): a is Alert => a !== undefined);
      if (alerts.length > 0) await this.output.emit({ alerts, scoreChanges: [], late: [], forward: [], lateByRule: new Map(), suppressedBy: new Map() }, task);
      valid = health.length;
    } else if (input.role === 'flowCounts') {
      // people and vehicles crossing count lines, per minute: rolled up per hour by the sink
      // (idempotent: a redelivered minute adds nothing), flushed before the checkpoint like any row
      const flows: FlowCount[] = [];
      for (let i = skipped; i < messages.length; i++) {
        const m = messages[i] as (typeof messages)[number];
        const d = decodeContract(input.spec.contract, m.value);
        if (d.ok) flows.push(d.value as FlowCount);
        else refused.push({ partition, message: m, refusal: d });
      }
      await this.dlq.publish(input.spec, refused);
      if (flows.length > 0) await this.deps.sink.add({ flows });
      valid = flows.length;
    } else {
      const rows = input.role === 'detections' && this.deps.sink.enabled;
      const r = await task.engine.step(input.role, packBatch(messages, skipped), this.deps.clock.now(), rows);
      for (const f of r.refused) refused.push({ partition, message: messages[skipped + f.index] as (typeof messages)[number], refusal: f });
      await this.dlq.publish(input.spec, refused);
      await this.output.emit(r.out, task);
      if (r.rows) await this.deps.sink.addRows(r.rows);
      valid = r.valid;
    }
    if (valid > 0) this.deps.metrics.events.inc({ topic: input.spec.name }, valid);
  }

  /**
   * Last heard per camera, for streetwatch_processor_camera_last_seen_seconds: event time, never
   * backwards (a replayed or late message is older news); a camera moved to another gateway keeps
   * one series (the old gateway's is removed). Only cameras that have sent a heartbeat get a series:
   * a gateway from before heartbeats (a rollout, cloud first) sends changes only, and its cameras'
   * silence means nothing.
   */
  private noteHeard(health: readonly CameraHealth[]): void {
    const g = this.deps.metrics.cameraLastSeen;
    for (const h of health) {
      const at = Date.parse(h.eventTime);
      const prev = this.lastHeard.get(h.cameraId);
      if (prev !== undefined && at <= prev.at) continue;
      const beats = h.heartbeat === true || prev?.beats === true;
      if (prev !== undefined && prev.beats && prev.gateway !== h.gatewayId) g.remove({ camera: h.cameraId, gateway: prev.gateway });
      this.lastHeard.set(h.cameraId, { at, gateway: h.gatewayId, beats });
      if (beats) g.set({ camera: h.cameraId, gateway: h.gatewayId }, at / 1000);
    }
  }

  /** History rows first, then snapshot + offsets (one statement), then the Kafka commit. */
  private async checkpoint(task: Task): Promise<void> {
    if (task.evicted) return;
    await this.output.settle(task);
    if (!task.dirty) return;
    await this.deps.sink.flush();
    const bytes = await this.deps.store.save(task.id, task.epoch, { ...task.offsets }, await task.engine.snapshot());
    task.dirty = false;
    Object.assign(task.saved, task.offsets);
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
    const engine = await this.deps.engines.open(id, now, stored.snapshot);
    const log = this.deps.log.child({ partition: id });
    log.info({ epoch: stored.epoch, offsets: stored.offsets, restored: stored.snapshot !== undefined }, 'task acquired');
    // No snapshot means nothing was ever committed for this task either (commits follow
    // snapshots): with fromBeginning its inputs start at the log start, wherever the fetch is now.
    const start = this.settings.consumer.fromBeginning ? '0' : undefined;
    return new Task(id, stored.epoch, engine, { ...stored.offsets }, log, now, start);
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
            task.engine.drop();
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
    task.engine.drop();
    if (this.tasks.get(task.id) !== undefined) {
      void this.tasks.get(task.id)?.then((t) => t === task && this.tasks.delete(task.id)).catch(() => undefined);
    }
    const fenced = (err as { code?: string }).code === 'SW_PROC_STATE_FENCED';
    this.deps.metrics.checkpoints.inc({ outcome: fenced ? 'fenced' : 'error' });
    task.log.error({ err, during }, fenced ? 'task taken over by another instance; dropping it' : 'task failed; reloading it from its snapshot');
    if (!fenced) this.rewind(task);
  }

  /**
   * Move the task's fetch positions back to what its snapshot covers: the batches fetched since
   * are processed again by the reloaded task. (Waiting for the next batch to notice the gap is not
   * enough: a partition fetched to its end brings no next batch.)
   */
  private rewind(task: Task): void {
    for (const { role, spec } of INPUTS) {
      const offset = task.saved[role] ?? task.start;
      if (offset === undefined) continue;
      const topic = topicName(spec, this.settings.topicPrefix);
      const where = `${topic}|${task.id}`;
      try {
        this.consumer.seek({ topic, partition: task.id, offset });
        this.seeks.set(where, (this.seeks.get(where) ?? 0) + 1);
      } catch (err) {
        task.log.warn({ err, topic }, 'cannot seek back (partition no longer assigned?)');
      }
    }
  }

  /** After a rebalance: the time spent not consuming does not count as quiet. */
  private async touchAll(): Promise<void> {
    for (const task of await this.liveTasks()) task.rejoined = true;
  }

  private async liveTasks(): Promise<Task[]> {
    const settled = await Promise.allSettled([...this.tasks.values()]);
    return settled.flatMap((s) => (s.status === 'fulfilled' && !s.value.evicted ? [s.value] : []));
  }

  private backoff(): Promise<void> {
    return new Promise((r) => setTimeout(r, 200).unref());
  }
}
