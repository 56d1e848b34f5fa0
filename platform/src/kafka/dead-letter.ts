import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { dlqTopic, type DeadLetter, type FieldError, type TopicSpec } from '@streetwatch/schemas';
import { counter } from '../metrics.js';
import type { ContractProducer } from './producer.js';

export interface DeadLetterDeps {
  readonly producer: ContractProducer;
  readonly registry: Registry;
  readonly log: Logger;
}

export interface Refusal {
  readonly code: string;
  readonly reason: string;
  readonly errors: readonly FieldError[];
}

/**
 * Sends refused messages to `<topic>.dlq` with the reason, counts them, and logs one line each.
 * Resolves only when Kafka acknowledged the dead letter, so the caller may then commit past it.
 */
export class DeadLetterPublisher {
  private readonly total;
  constructor(
    private readonly consumerGroup: string,
    private readonly deps: DeadLetterDeps,
  ) {
    this.total = counter(deps.registry, 'streetwatch_dlq_messages_total', 'Messages sent to a dead-letter topic', [
      'topic',
      'code',
    ]);
  }

  letter(spec: TopicSpec, partition: number, message: KafkaMessage, refusal: Refusal): DeadLetter {
    return {
      schemaVersion: 1,
      originalTopic: spec.name,
      partition,
      offset: message.offset,
      ...(message.key ? { key: message.key.toString('utf8').slice(0, 512) } : {}),
      code: refusal.code,
      reason: refusal.reason.slice(0, 4000),
      errors: refusal.errors.slice(0, 50).map((e) => ({ path: e.path, message: e.message })),
      payloadBase64: (message.value ?? Buffer.alloc(0)).toString('base64'),
      consumerGroup: this.consumerGroup,
      at: new Date().toISOString(),
    };
  }

  async publish(spec: TopicSpec, items: ReadonlyArray<{ partition: number; message: KafkaMessage; refusal: Refusal }>): Promise<void> {
    if (items.length === 0) return;
    const dlq = dlqTopic(spec);
    const letters = items.map((i) => this.letter(spec, i.partition, i.message, i.refusal));
    await this.deps.producer.send(dlq, letters);
    for (const l of letters) {
      this.total.inc({ topic: spec.name, code: l.code });
      this.deps.log.warn(
        { topic: spec.name, partition: l.partition, offset: l.offset, code: l.code, dlq: dlq.name },
        `refused message sent to DLQ: ${l.reason}`,
      );
    }
  }
}
