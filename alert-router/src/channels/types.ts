import type { Alert } from '@streetwatch/schemas';
import type { Logger } from '@streetwatch/platform';
import type { ContractProducer } from '@streetwatch/platform';
import type { ConsoleFeed, EscalationTarget } from '../seams.js';
import type { Clock } from '@streetwatch/platform';
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
  /** Markdown body (robots, console); the engine adds each delivery's `ref:` line (withRef), robots the evidence picture's link (withPicture). */
  readonly markdown: string;
  /** Plain short text (SMS template parameters are derived from the first alert). */
  readonly text: string;
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
  /**
   * Evidence links for channels that show the picture (SMS short link, robots' picurl), issued
   * when a message is sent; absent without an evidence store (messages go without a picture).
   */
  readonly evidenceLinks?: ChannelEvidenceLinks;
}

export interface ChannelEvidenceLinks {
  /** A link to the first stored picture of the notification's work orders, or undefined. */
  forNotification(items: Notification['items'], departmentId: string, channel: 'sms' | 'robot', channelName: string): Promise<string | undefined>;
}
