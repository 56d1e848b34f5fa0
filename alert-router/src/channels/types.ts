import type { Alert } from '@streetwatch/schemas';
import type { Logger } from '@streetwatch/platform';
import type { ContractProducer } from '@streetwatch/platform';
import type { ConsoleFeed, EscalationTarget } from '../seams.js';
import type { Clock } from '../routing/clock.js';
import type { SecretResolver } from '../config/secrets.js';

/** One notification: what a department (or its on-duty/head) is told about one or more alerts. */
export interface Notification {
  readonly departmentId: string;
  readonly departmentName: string;
  readonly target: EscalationTarget;
  /** The alerts it is about, first = the one the title names; each with its work order when known. */
  readonly items: ReadonlyArray<{ readonly alert: Alert; readonly workOrderId?: string }>;
  /** SMS recipients (E.164). */
  readonly phones: readonly string[];
  readonly title: string;
  /** Markdown body (robots, console), with the evidence picture; the engine adds each delivery's `ref:` line (withRef). */
  readonly markdown: string;
  /** Plain short text (SMS template parameters are derived from the first alert). */
  readonly text: string;
  readonly evidenceUrl?: string;
}

export interface SendResult {
  /** The provider's id for the message (BizId, SerialNo, Kafka offset...). */
  readonly providerMessageId?: string;
}

/**
 * A delivery channel, selected by `type` in config. `send` must be safe to repeat with the same
 * idempotency key (passing it to the provider where the provider has a field for it), and throws
 * {@link ChannelError} with `retryable` and `retryAfterMs` when it fails.
 */
export interface Channel {
  readonly name: string;
  readonly type: string;
  send(message: Notification, idempotencyKey: string): Promise<SendResult>;
}

export interface ChannelDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly resolveSecret: SecretResolver;
  /** For `kafka-dept`. */
  readonly producer?: ContractProducer;
  /** For `console`. */
  readonly consoleFeed?: ConsoleFeed;
}
