import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { topicName, type ContractName, type ContractOf, type TopicSpec } from '@streetwatch/schemas';
import { counter } from '../metrics.js';
import { DeadLetterPublisher } from './dead-letter.js';
import { decodeContract } from './decode.js';
import type { ContractProducer } from './producer.js';

export interface ConsumedMessage<T> {
  readonly value: T;
  readonly topic: TopicSpec;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | undefined;
  /** Kafka's message timestamp (ms since epoch). */
  readonly timestamp: number;
}

export interface ContractConsumerSettings {
  readonly groupId: string;
  readonly topics: readonly TopicSpec[];
  readonly prefix?: string;
  readonly fromBeginning?: boolean;
  readonly consumer?: Partial<ConsumerConfig>;
  /**
   * How many partitions' batches the handler may be running at once (kafkajs
   * `partitionsConsumedConcurrently`; default 1). Each batch's offsets are still committed only
   * after its own handler call resolved; calls for different partitions overlap, so a handler that
   * shares state across partitions must allow that.
   */
  readonly partitionsConsumedConcurrently?: number;
  /**
   * Commit resolved offsets at most every this many ms instead of after every batch: each commit is
   * a request the broker writes to its offsets log, and at a steady trickle there is a batch per
   * partition per fetch. Still only offsets whose handler resolved; a crash, a stop or a rebalance
   * replays up to this much more, so only for handlers that absorb replays (dedup by id).
   */
  readonly commitIntervalMs?: number;
}

export interface ContractConsumerDeps {
  readonly kafka: Kafka;
  /** Used to write dead letters. */
  readonly producer: ContractProducer;
  readonly registry: Registry;
  readonly log: Logger;
}

export type BatchHandler = (
  messages: ReadonlyArray<ConsumedMessage<ContractOf<ContractName>>>,
  ctx: { partition: number; topic: TopicSpec; heartbeat: () => Promise<void> },
) => Promise<void>;

/**
 * A consumer-group member that validates every message against its topic's contract. Valid
 * messages reach the handler batch by batch; invalid ones go to `<topic>.dlq` with the reason.
 * Offsets are committed only after the handler resolved and the dead letters were acknowledged
 * (at-least-once: a crash replays the uncommitted batch; handlers must be idempotent).
 */
export class ContractConsumer {
  private readonly consumer: Consumer;
  private readonly dlq: DeadLetterPublisher;
  private readonly byName = new Map<string, TopicSpec>();
  private readonly consumed;
  private running = false;
  private closed = false;

  constructor(
    private readonly settings: ContractConsumerSettings,
    private readonly deps: ContractConsumerDeps,
  ) {
    this.consumer = deps.kafka.consumer({
      groupId: settings.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 10000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 15000,
      ...settings.consumer,
    });
    this.dlq = new DeadLetterPublisher(settings.groupId, {
      producer: deps.producer,
      registry: deps.registry,
      log: deps.log,
    });
    this.consumed = counter(deps.registry, 'streetwatch_kafka_consumed_total', 'Valid messages handed to a consumer', [
      'topic',
    ]);
    for (const t of settings.topics) this.byName.set(topicName(t, settings.prefix ?? ''), t);
  }

  get raw(): Consumer {
    return this.consumer;
  }

  async start(handler: BatchHandler): Promise<void> {
    if (this.running) return;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.byName.keys()], fromBeginning: this.settings.fromBeginning ?? true });
    this.running = true;
    await this.consumer.run({
      partitionsConsumedConcurrently: this.settings.partitionsConsumedConcurrently ?? 1,
      // kafkajs commits after every batch whenever autoCommit is on (its interval only applies to
      // commitOffsetsIfNecessary): with an interval, the commit below is the only one.
      ...(this.settings.commitIntervalMs !== undefined
        ? { autoCommit: false, autoCommitInterval: this.settings.commitIntervalMs }
        : { autoCommit: true }),
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const spec = this.byName.get(batch.topic);
        if (!spec) return;
        const valid: Array<ConsumedMessage<ContractOf<ContractName>>> = [];
        const refused: Parameters<DeadLetterPublisher['publish']>[1][number][] = [];
        for (const m of batch.messages) {
          const d = decodeContract(spec.contract, m.value);
          if (d.ok) {
            valid.push({
              value: d.value,
              topic: spec,
              partition: batch.partition,
              offset: m.offset,
              key: m.key?.toString('utf8'),
              timestamp: Number(m.timestamp),
            });
          } else {
            refused.push({ partition: batch.partition, message: m, refusal: d });
          }
        }
        if (!isRunning() || isStale()) return;
        await this.dlq.publish(spec, refused);
        if (valid.length > 0) {
          await handler(valid, { partition: batch.partition, topic: spec, heartbeat });
          this.consumed.inc({ topic: spec.name }, valid.length);
        }
        resolveOffset(batch.lastOffset());
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.disconnect();
  }
}
