/**
 * The shapes of the delivery queue's rows (store.ts writes and reads them, events.ts turns them into
 * Delivery events): here, below both, so that neither imports the other for a type.
 */
import type { Delivery } from '@streetwatch/schemas';
import type { Notification } from '../channels/types.js';

export type DeliveryState = 'pending' | 'inflight' | 'retrying' | 'sent' | 'failed' | 'dead' | 'held';
export type Outcome = Delivery['outcome'];

export interface NewDelivery {
  readonly key: string;
  /** The notification it sends (see notificationsParam): shared by the channels of one flush. */
  readonly notificationKey: string;
  readonly alertId: string;
  readonly alertIds: readonly string[];
  readonly departmentId: string;
  readonly workOrderId?: string | undefined;
  readonly channelName: string;
  readonly channelType: string;
  readonly target: string;
  readonly message: Notification;
  readonly nextAttemptAt: number;
  /** A fallback names its original's notification, which exists already: its message is not written again. */
  readonly fallbackOf?: string;
}

export interface ClaimedDelivery {
  readonly key: string;
  readonly notificationKey: string;
  readonly deliveryId: string;
  readonly alertId: string;
  readonly departmentId: string;
  readonly workOrderId: string | null;
  readonly channelName: string;
  readonly channelType: string;
  readonly target: string;
  /** Null only if its notification row is missing: the engine then fails the delivery without a call. */
  readonly message: Notification | null;
  readonly attempts: number;
  readonly uncertain: boolean;
}

export interface OutcomeRecord {
  readonly row: ClaimedDelivery;
  readonly state: DeliveryState;
  readonly outcome: Outcome;
  readonly nextAttemptAt?: number;
  readonly providerMessageId?: string;
  readonly error?: { code: string; message: string };
}
