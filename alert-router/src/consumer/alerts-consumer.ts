/**
 * The router's Kafka consumer: validated alerts (invalid ones go to the DLQ, by the platform's
 * ContractConsumer) are handed to the router batch by batch; a batch's offsets are committed
 * only after `ingest` committed the alerts and their routing to PostgreSQL, at most once a second,
 * so a `kill -9` at any point replays at most the last second's batches, which dedup on alertId
 * then absorbs.
 *
 * The partitions' batches of one fetch are handled concurrently and their alerts recorded together:
 * batches handed over in the same event-loop turn share ONE `ingest` (one statement), and each
 * batch's handler resolves (so its offsets may be committed) only when that ingest committed.
 * Handling the partitions one after another cost a PG round trip and an offset commit each, in
 * series, per fetch: most of the alert-on-topic → recorded latency.
 */
import { ContractConsumer, type ContractProducer, type Logger, type Registry } from '@streetwatch/platform';
import { TOPICS, type Alert } from '@streetwatch/schemas';
import type { Kafka } from 'kafkajs';
import type { AlertRouter, IncomingAlert } from '../routing/router.js';

interface Waiting {
  readonly items: IncomingAlert[];
  readonly partition: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface AlertConsumerSettings {
  readonly groupId: string;
  readonly prefix?: string;
}

export class AlertConsumer {
  private readonly consumer: ContractConsumer;
  private closed = false;
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(
    settings: AlertConsumerSettings,
    private readonly deps: { kafka: Kafka; producer: ContractProducer; registry: Registry; log: Logger; router: AlertRouter },
  ) {
    this.consumer = new ContractConsumer(
      {
        groupId: settings.groupId,
        topics: [TOPICS.alerts],
        prefix: settings.prefix ?? '',
        consumer: { maxBytesPerPartition: 1 << 20 },
        partitionsConsumedConcurrently: TOPICS.alerts.partitions,
        // ingest dedups on alertId, so replaying up to a second of alerts after a crash costs nothing;
        // committing after every partition's batch was a broker write per partition per fetch.
        commitIntervalMs: 1000,
      },
      { kafka: deps.kafka, producer: deps.producer, registry: deps.registry, log: deps.log },
    );
  }

  async start(): Promise<void> {
    await this.consumer.start(
      (messages, ctx) =>
        new Promise<void>((resolve, reject) => {
          const items = messages.map((m) => ({ alert: m.value as Alert, partition: m.partition, offset: m.offset }));
          this.waiting.push({ items, partition: ctx.partition, resolve, reject });
          if (!this.scheduled) {
            this.scheduled = true;
            setImmediate(() => void this.record());
          }
        }),
    );
  }

  /** Record every batch handed over since the last turn in one ingest; settle each batch's handler. */
  private async record(): Promise<void> {
    this.scheduled = false;
    const batches = this.waiting;
    this.waiting = [];
    try {
      const r = await this.deps.router.ingest(batches.flatMap((b) => b.items));
      this.deps.log.debug({ partitions: batches.map((b) => b.partition), ...r }, 'alerts recorded');
      for (const b of batches) b.resolve();
    } catch (err) {
      for (const b of batches) b.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.close();
  }
}
