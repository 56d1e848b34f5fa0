import type { Kafka, Message, Producer, ProducerConfig, RecordMetadata } from 'kafkajs';
import kafkajs from 'kafkajs';

const { Partitioners } = kafkajs;
import type { Registry } from 'prom-client';
import {
  ContractViolationError,
  topicName,
  validate,
  type ContractName,
  type ContractOf,
  type TopicSpec,
} from '@streetwatch/schemas';
import { counter } from '../metrics.js';

export interface ContractProducerDeps {
  readonly kafka: Kafka;
  readonly registry: Registry;
}

export interface ContractProducerSettings {
  /** Topic namespace prefix (tests); '' in production. */
  readonly prefix?: string;
  /** Idempotent producer: retries never duplicate or reorder within a partition. */
  readonly idempotent?: boolean;
  /** Largest produce request (sum of message sizes) before a send is split; default 900 KB. */
  readonly maxRequestBytes?: number;
  readonly producer?: ProducerConfig;
}

export type ContractValue<S extends TopicSpec> = ContractOf<S['contract'] & ContractName>;

/**
 * A producer that refuses a message which does not satisfy its topic's contract (throws
 * {@link ContractViolationError} before anything is sent) and keys each message by the field the
 * topic declares, so per-key ordering holds.
 */
export class ContractProducer {
  private readonly producer: Producer;
  private readonly prefix: string;
  private readonly produced;
  private readonly refused;
  private readonly maxRequestBytes: number;
  private started = false;
  private closed = false;

  constructor(settings: ContractProducerSettings, deps: ContractProducerDeps) {
    const idempotent = settings.idempotent ?? true;
    this.maxRequestBytes = settings.maxRequestBytes ?? 900_000;
    this.prefix = settings.prefix ?? '';
    this.producer = deps.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      allowAutoTopicCreation: false,
      ...settings.producer,
    });
    this.produced = counter(deps.registry, 'streetwatch_kafka_produced_total', 'Messages acknowledged by Kafka', ['topic']);
    this.refused = counter(deps.registry, 'streetwatch_kafka_refused_total', 'Messages refused at the producer by their contract', ['topic']);
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.producer.connect();
    this.started = true;
  }

  /** Encode + validate without sending: the message kafkajs would get. */
  encode<S extends TopicSpec>(spec: S, value: ContractValue<S>, headers: Record<string, string> = {}): Message {
    const r = validate(spec.contract, value);
    if (!r.ok) {
      this.refused.inc({ topic: spec.name });
      throw new ContractViolationError(spec.contract, r.errors);
    }
    const key = (value as Record<string, unknown>)[spec.key];
    return {
      key: typeof key === 'string' ? key : undefined,
      value: JSON.stringify(value),
      headers: { 'content-type': 'application/json', 'sw-contract': spec.contract, 'sw-schema-version': '1', ...headers },
    };
  }

  /** Validate every value, then send them in one request; resolves when Kafka acknowledged all. */
  async send<S extends TopicSpec>(
    spec: S,
    values: readonly ContractValue<S>[],
    opts: { headers?: Record<string, string>; acks?: number; timeout?: number } = {},
  ): Promise<RecordMetadata[]> {
    const messages = values.map((v) => this.encode(spec, v, opts.headers));
    return this.sendEncoded(spec, messages, opts);
  }

  async sendEncoded(
    spec: TopicSpec,
    messages: Message[],
    opts: { acks?: number; timeout?: number } = {},
  ): Promise<RecordMetadata[]> {
    if (messages.length === 0) return [];
    const topic = topicName(spec, this.prefix);
    const out: RecordMetadata[] = [];
    // One produce request must stay under the broker's message.max.bytes (1 MiB by default):
    // split large sends into chunks, sent in order.
    for (const chunk of chunkByBytes(messages, this.maxRequestBytes)) {
      out.push(...(await this.producer.send({ topic, messages: chunk, acks: opts.acks ?? -1, timeout: opts.timeout ?? 30000 })));
      this.produced.inc({ topic: spec.name }, chunk.length);
    }
    return out;
  }

  /** Underlying kafkajs producer, for transactions or custom batching. */
  get raw(): Producer {
    return this.producer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.started) await this.producer.disconnect();
  }
}

function sizeOf(m: Message): number {
  const v = m.value;
  const k = m.key;
  const len = (x: unknown): number => (typeof x === 'string' ? Buffer.byteLength(x) : Buffer.isBuffer(x) ? x.length : 0);
  return len(v) + len(k) + 64;
}

/** Consecutive chunks whose summed size stays under `max` (a single larger message goes alone). */
export function chunkByBytes(messages: readonly Message[], max: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = sizeOf(m);
    if (current.length > 0 && bytes + size > max) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
