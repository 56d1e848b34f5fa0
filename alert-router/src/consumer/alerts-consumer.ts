/**
 * The router's Kafka consumer: validated alerts (invalid ones go to the DLQ, by the platform's
 * ContractConsumer) are handed to the router batch by batch; the batch's offsets are committed
 * only after `ingest` committed the alerts and their routing to PostgreSQL, so a `kill -9` at any
 * point replays at most the uncommitted batch, which dedup on alertId then absorbs.
 */
import { ContractConsumer, type ContractProducer, type Logger, type Registry } from '@streetwatch/platform';
import { TOPICS, type Alert } from '@streetwatch/schemas';
import type { Kafka } from 'kafkajs';
import type { AlertRouter } from '../routing/router.js';

export interface AlertConsumerSettings {
  readonly groupId: string;
  readonly prefix?: string;
}

export class AlertConsumer {
  private readonly consumer: ContractConsumer;
  private closed = false;

  constructor(
    settings: AlertConsumerSettings,
    private readonly deps: { kafka: Kafka; producer: ContractProducer; registry: Registry; log: Logger; router: AlertRouter },
  ) {
    this.consumer = new ContractConsumer(
      { groupId: settings.groupId, topics: [TOPICS.alerts], prefix: settings.prefix ?? '', consumer: { maxBytesPerPartition: 1 << 20 } },
      { kafka: deps.kafka, producer: deps.producer, registry: deps.registry, log: deps.log },
    );
  }

  async start(): Promise<void> {
    await this.consumer.start(async (messages, ctx) => {
      const r = await this.deps.router.ingest(
        messages.map((m) => ({ alert: m.value as Alert, partition: m.partition, offset: m.offset })),
      );
      this.deps.log.debug({ partition: ctx.partition, ...r }, 'alerts recorded');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.close();
  }
}
