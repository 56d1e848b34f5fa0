/**
 * Delivery events: how one is built from a delivery row (deliveryEvent, suppressedAttempts), and the
 * outbox. Attempt rows are written in the same transactions as the state they describe; the outbox
 * pump sends the unpublished ones to `streetwatch.deliveries.v1` and marks them.
 * A crash between send and mark re-sends a few events (at-least-once; `deliveryId` + `attempt` +
 * `outcome` identify an event).
 *
 * Marking rides on the next read: one statement marks what the previous pump sent and reads what
 * is still unpublished (excluding those), so a pump is one PG round trip + one produce, not two
 * round trips. Marks left at the end of a pump are written by a follow-up pump shortly after (or at
 * close); until then a crash re-sends them, as above.
 */
import { iso, type ContractProducer, type Logger, type Pool } from '@streetwatch/platform';
import { TOPICS, type Delivery } from '@streetwatch/schemas';
import type { RouterMetrics } from './metrics.js';
import type { ClaimedDelivery, Outcome } from './types.js';


export function deliveryEvent(
  row: Pick<ClaimedDelivery, 'deliveryId' | 'alertId' | 'workOrderId' | 'departmentId' | 'channelName' | 'channelType'>,
  attempt: number,
  outcome: Outcome,
  at: number,
  extra: { providerMessageId?: string | undefined; error?: { code: string; message: string } | undefined } = {},
): Delivery {
  return {
    schemaVersion: 1,
    deliveryId: row.deliveryId,
    alertId: row.alertId,
    ...(row.workOrderId ? { workOrderId: row.workOrderId } : {}),
    departmentId: row.departmentId,
    channel: { type: row.channelType.slice(0, 32), name: row.channelName.slice(0, 64) },
    attempt: Math.max(1, attempt),
    outcome,
    ...(extra.providerMessageId ? { providerMessageId: extra.providerMessageId.slice(0, 256) } : {}),
    ...(extra.error ? { error: { code: extra.error.code.slice(0, 64), message: extra.error.message.slice(0, 1024) } } : {}),
    at: iso(at),
  };
}

/** The attempt rows of `suppressed` Delivery events (no provider call), for insertAttemptsSql. */
export function suppressedAttempts(
  items: ReadonlyArray<{ key: string; alertId: string; departmentId: string; reason: string }>,
  now: number,
): Array<{ key: string; attempt: number; outcome: Outcome; event: Delivery; at: number }> {
  return items.map((i) => ({
    key: i.key,
    attempt: 1,
    outcome: 'suppressed' as const,
    event: deliveryEvent(
      { deliveryId: i.key, alertId: i.alertId, workOrderId: null, departmentId: i.departmentId, channelName: 'suppressed', channelType: 'none' },
      1,
      'suppressed',
      now,
      { error: { code: i.reason.startsWith('sil-') ? 'SILENCED' : 'INHIBITED', message: i.reason } },
    ),
    at: now,
  }));
}


export class DeliveryEventOutbox {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Ids sent to Kafka, not yet marked published. */
  private unmarked: string[] = [];
  private markTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: { pool: Pool; producer?: ContractProducer | undefined; log: Logger; metrics: RouterMetrics },
    private readonly batch = 500,
    private readonly lingerMs = 20,
  ) {}

  /**
   * New attempt rows exist: publish them within `lingerMs`, so the sends and outcomes of that
   * window share one read and one produce request (the hot path calls this per claim and per
   * outcome batch: a pump each was a round trip + a produce request per few events).
   */
  nudge(): void {
    if (this.lingerTimer || this.closed) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      void this.kick();
    }, this.lingerMs);
    this.lingerTimer.unref();
  }

  /** Publish what is pending now (coalesces concurrent calls). */
  kick(): Promise<void> {
    if (!this.deps.producer || (this.closed && this.unmarked.length === 0)) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pump()
      .catch((err: unknown) => this.deps.log.warn({ err }, 'delivery events not published yet; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.closed) {
          this.again = false;
          void this.kick();
        } else if (this.unmarked.length > 0 && !this.closed && !this.markTimer) {
          this.markTimer = setTimeout(() => {
            this.markTimer = undefined;
            void this.kick();
          }, 200);
          this.markTimer.unref();
        }
      });
    return this.running;
  }

  private async pump(): Promise<void> {
    const producer = this.deps.producer;
    if (!producer) return;
    for (;;) {
      const marks = this.unmarked;
      const res = await this.deps.pool.query<{ id: string; event: Delivery }>(
        `WITH marked AS (UPDATE router_delivery_attempts SET published = true WHERE id = ANY($1::bigint[]))
         SELECT id, event FROM router_delivery_attempts WHERE NOT published AND id <> ALL($1::bigint[]) ORDER BY id LIMIT $2`,
        [marks, this.closed ? 0 : this.batch],
      );
      this.unmarked = [];
      if (res.rows.length === 0) return;
      await producer.send(
        TOPICS.deliveries,
        res.rows.map((r) => r.event),
      );
      this.unmarked = res.rows.map((r) => r.id);
      this.deps.metrics.eventsPublished.inc(res.rows.length);
      if (res.rows.length < this.batch) return;
    }
  }

  /** Publish what is pending, then write the last marks. */
  async close(): Promise<void> {
    await this.kick();
    this.closed = true;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.markTimer) clearTimeout(this.markTimer);
    this.markTimer = undefined;
    while (this.running) await this.running;
    if (this.unmarked.length > 0) await this.kick();
  }
}
