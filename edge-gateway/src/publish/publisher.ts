import type { Kafka, Message, TopicMessages } from 'kafkajs';
import { Backoff, classifyKafkaError, ContractProducer, counter, gauge, PLATFORM_ERRORS, withTimeout, type Logger, type Registry } from '@streetwatch/platform';
import { TOPICS, topicName } from '@streetwatch/schemas';
import type { Outbox } from '../outbox/outbox.js';
import { depthOrClosed, WakeableSleep } from '../outbox/wakeable-sleep.js';
import type { StoredRecord } from '../outbox/types.js';
import type { PublisherConfig } from './config.js';

export interface PublisherDeps {
  readonly kafka: Kafka;
  readonly outbox: Outbox;
  readonly registry: Registry;
  readonly log: Logger;
}

export interface FlushResult {
  /** Everything queued when the flush ran out of work was acknowledged by Kafka. */
  readonly drained: boolean;
  /** Records left on disk for the next start. */
  readonly left: number;
}

interface Batch {
  readonly seqs: number[];
  readonly topicMessages: TopicMessages[];
  readonly perTopic: Map<string, number>;
}

/** Producer-state errors after which only a fresh producer (new producer id) can send again. */
const PRODUCER_FENCED = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

function errorCode(e: unknown): string {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur && typeof cur === 'object'; i++) {
    const o = cur as { type?: unknown; originalError?: unknown; cause?: unknown; name?: unknown };
    if (typeof o.type === 'string' && o.type) return o.type;
    if (!o.originalError && !o.cause) return typeof o.name === 'string' ? o.name : 'unknown';
    cur = o.originalError ?? o.cause;
  }
  return 'unknown';
}

/**
 * Drains the outbox to Kafka, in seq order, one batch at a time (at most one request in flight,
 * idempotent producer, acks=all): per-camera order holds because a camera's messages share a key,
 * hence a partition. A record is acked in the outbox only after Kafka acknowledged it. A batch
 * that fails is retried UNCHANGED after an exponential backoff with jitter, so the idempotent
 * producer's sequence numbers let the broker discard a copy it already wrote (no duplicates
 * across a broker restart). Records invalid for their contract, malformed JSON or over
 * maxMessageBytes are moved to the outbox's `rejected` table and never block the queue.
 *
 * Delivery is at-least-once across a gateway crash (a batch sent but not yet acked is sent again
 * by the next process, with a new producer id): consumers dedup by eventId.
 */
export class Publisher {
  private producer: ContractProducer;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly m;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private stopping = false;
  private connectedNow = false;
  private inflight: Batch | undefined;
  private failingSince: number | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly sleeper = new WakeableSleep();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly config: PublisherConfig,
    private readonly deps: PublisherDeps,
  ) {
    this.log = deps.log.child({ component: 'publisher' });
    this.backoff = new Backoff({ initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs, jitter: config.backoffJitter });
    this.producer = this.newProducer();
    const r = deps.registry;
    this.m = {
      produced: counter(r, 'streetwatch_edge_events_produced_total', 'Outbox records acknowledged by Kafka', ['topic']),
      errors: counter(r, 'streetwatch_edge_publish_errors_total', 'Failed produce or connect attempts (each is retried)', ['code']),
      connected: gauge(r, 'streetwatch_edge_kafka_connected', '1 when the last Kafka connect/send succeeded, 0 after a failure'),
    };
    this.m.connected.set(0);
  }

  /** Start draining in the background. Never waits for Kafka (it may be down); idempotent. */
  start(): Promise<void> {
    if (this.loop || this.stopping) return Promise.resolve();
    this.unsubscribe = this.deps.outbox.onAppend(() => this.sleeper.appended());
    this.loop = this.run().catch((err: unknown) => this.log.error({ err }, 'publisher loop failed'));
    return Promise.resolve();
  }

  get connected(): boolean {
    return this.connectedNow;
  }

  /**
   * Graceful shutdown: keep draining until the outbox is empty or `graceMs` passed, then stop
   * (close()). What is left stays on disk for the next start.
   */
  async flush(graceMs: number): Promise<FlushResult> {
    if (!this.stopping) {
      await this.start();
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.sleeper.appended();
      const drained = await Promise.race([idle.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!drained) this.log.warn({ graceMs, left: this.deps.outbox.depth() }, 'flush grace time over: the rest stays in the outbox');
    }
    await this.close();
    const left = this.depth();
    return { drained: left === 0, left };
  }

  /** Stop the loop (does not drain) and disconnect, bounded by closeTimeoutMs. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.sleeper.stop();
    const bound = this.config.closeTimeoutMs;
    await withTimeout(this.loop ?? Promise.resolve(), bound, 'publisher loop').catch((err: unknown) =>
      this.log.warn({ err }, 'publisher loop still waiting on Kafka at close: its batch stays in the outbox'),
    );
    await withTimeout(this.producer.close(), bound, 'kafka producer disconnect').catch((err: unknown) =>
      this.log.warn({ err }, 'producer disconnect failed'),
    );
    this.setConnected(false);
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private newProducer(): ContractProducer {
    return new ContractProducer(
      {
        prefix: this.config.topicPrefix,
        idempotent: true,
        producer: { retry: { retries: this.config.producerRetries, initialRetryTime: 100, maxRetryTime: 1000 } },
      },
      { kafka: this.deps.kafka, registry: this.deps.registry },
    );
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.producer.start(); // no-op once connected
        if (!this.connectedNow && this.failingSince === undefined) this.setConnected(true);
        const batch = this.inflight ?? this.prepare();
        if (!batch) {
          this.deps.outbox.prune();
          for (const w of this.idleWaiters.splice(0)) w();
          await this.sleeper.sleep(this.config.idleMs, true);
          continue;
        }
        this.inflight = batch;
        await this.producer.raw.sendBatch({ topicMessages: batch.topicMessages, acks: -1, timeout: this.config.sendTimeoutMs });
        this.inflight = undefined;
        this.deps.outbox.ack(batch.seqs);
        for (const [topic, n] of batch.perTopic) this.m.produced.inc({ topic }, n);
        this.onSuccess();
      } catch (err) {
        if (this.stopping) break;
        await this.onFailure(err);
      }
    }
  }

  /** Next batch from the outbox, invalid records rejected on the way; undefined when empty. */
  private prepare(): Batch | undefined {
    for (;;) {
      const rows = this.deps.outbox.peek(this.config.batchSize);
      if (rows.length === 0) return undefined;
      const byTopic = new Map<string, Message[]>();
      const perTopic = new Map<string, number>();
      const seqs: number[] = [];
      for (const row of rows) {
        const msg = this.encode(row);
        if (!msg) continue;
        const spec = TOPICS[row.topic];
        const name = topicName(spec, this.config.topicPrefix);
        const list = byTopic.get(name) ?? [];
        list.push(msg);
        byTopic.set(name, list);
        perTopic.set(spec.name, (perTopic.get(spec.name) ?? 0) + 1);
        seqs.push(row.seq);
      }
      if (seqs.length === 0) continue; // all rejected: look again
      return { seqs, perTopic, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) };
    }
  }

  private encode(row: StoredRecord): Message | undefined {
    const spec = TOPICS[row.topic];
    let value: unknown;
    try {
      value = JSON.parse(row.value);
    } catch (e) {
      this.deps.outbox.reject(row.seq, 'SW_CONTRACT_MALFORMED_JSON', (e as Error).message);
      return undefined;
    }
    let msg: Message;
    try {
      msg = this.producer.encode(spec, value as never, { 'sw-event-id': row.eventId });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      this.deps.outbox.reject(row.seq, typeof code === 'string' ? code : 'SW_CONTRACT_INVALID', (e as Error).message);
      return undefined;
    }
    const size = Buffer.byteLength(msg.value as string);
    if (size > this.config.maxMessageBytes) {
      this.deps.outbox.reject(row.seq, 'SW_EDGE_PUBLISH_TOO_LARGE', `${size} bytes > maxMessageBytes ${this.config.maxMessageBytes}`);
      return undefined;
    }
    // Kafka timestamp = when the edge created the record, not when an outage ended.
    return { ...msg, timestamp: String(row.createdAt) };
  }

  private onSuccess(): void {
    this.backoff.reset();
    this.setConnected(true);
    if (this.failingSince !== undefined) {
      this.log.info(
        { outageMs: Date.now() - this.failingSince, depth: this.deps.outbox.depth() },
        'Kafka acknowledges again: draining the outbox',
      );
      this.failingSince = undefined;
    }
  }

  private async onFailure(err: unknown): Promise<void> {
    const code = errorCode(err);
    this.m.errors.inc({ code });
    this.setConnected(false);
    const delay = this.backoff.next();
    const ctx = { err, code, attempt: this.backoff.attempts, retryInMs: delay, depth: this.depth(), inflight: this.inflight?.seqs.length ?? 0 };
    const refused = classifyKafkaError(err);
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      if (refused === 'SW_KAFKA_AUTH' || refused === 'SW_KAFKA_TLS' || refused === 'SW_KAFKA_DENIED') {
        // Retrying will not fix a wrong password, an untrusted certificate or a missing ACL: say
        // which, once, as an error; the outbox keeps everything until an operator fixes it.
        this.log.error({ ...ctx, code: refused }, `Kafka refuses this gateway (${refused}: ${PLATFORM_ERRORS[refused]}): events stay in the outbox; retrying with backoff`);
      } else {
        this.log.warn(ctx, 'Kafka unreachable or refusing: events stay in the outbox; retrying with backoff');
      }
    } else {
      this.log.debug(ctx, 'publish retry failed');
    }
    if (PRODUCER_FENCED.has(code)) {
      // The broker lost this producer's state: a fresh producer id is the only way on. The
      // in-flight batch is sent again by it (possible duplicate; consumers dedup by eventId).
      this.log.warn({ code }, 'recreating the idempotent producer');
      const old = this.producer;
      this.producer = this.newProducer();
      await withTimeout(old.close(), this.config.closeTimeoutMs, 'old producer disconnect').catch(() => undefined);
    }
    await this.sleeper.sleep(delay, false);
  }

  private setConnected(on: boolean): void {
    this.connectedNow = on;
    this.m.connected.set(on ? 1 : 0);
    try {
      this.deps.outbox.refreshGauges();
    } catch {
      // outbox closed: nothing to show
    }
  }

  private depth(): number {
    return depthOrClosed(() => this.deps.outbox.depth());
  }
}
