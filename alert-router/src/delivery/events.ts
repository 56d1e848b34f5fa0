/**
 * The Delivery event outbox: attempt rows are written in the same transactions as the state they
 * describe; this pump sends the unpublished ones to `streetwatch.deliveries.v1` and marks them.
 * A crash between send and mark re-sends a few events (at-least-once; `deliveryId` + `attempt` +
 * `outcome` identify an event).
 */
import type { ContractProducer, Logger, Pool } from '@streetwatch/platform';
import { TOPICS, type Delivery } from '@streetwatch/schemas';
import type { RouterMetrics } from './metrics.js';

export class DeliveryEventOutbox {
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(
    private readonly deps: { pool: Pool; producer?: ContractProducer | undefined; log: Logger; metrics: RouterMetrics },
    private readonly batch = 500,
  ) {}

  /** Publish what is pending (coalesces concurrent calls). */
  kick(): Promise<void> {
    if (!this.deps.producer || this.closed) return Promise.resolve();
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
        }
      });
    return this.running;
  }

  private async pump(): Promise<void> {
    const producer = this.deps.producer;
    if (!producer) return;
    for (;;) {
      const res = await this.deps.pool.query<{ id: string; event: Delivery }>(
        'SELECT id, event FROM router_delivery_attempts WHERE NOT published ORDER BY id LIMIT $1',
        [this.batch],
      );
      if (res.rows.length === 0) return;
      await producer.send(
        TOPICS.deliveries,
        res.rows.map((r) => r.event),
      );
      await this.deps.pool.query('UPDATE router_delivery_attempts SET published = true WHERE id = ANY($1::bigint[])', [
        res.rows.map((r) => r.id),
      ]);
      this.deps.metrics.eventsPublished.inc(res.rows.length);
      if (res.rows.length < this.batch) return;
    }
  }

  async close(): Promise<void> {
    await this.kick();
    this.closed = true;
  }
}
