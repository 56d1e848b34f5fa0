import type { ContractProducer, Logger, Pool } from '@streetwatch/platform';
import { TOPICS, validate, type WorkOrderEvent } from '@streetwatch/schemas';
import type { WorkOrderMetrics } from './metrics.js';

const LOCK_KEY = 0x574f4f42; // 'WOOB': one drainer at a time across router instances

export interface OutboxSettings {
  readonly pollIntervalMs: number;
  readonly batchSize: number;
}

/**
 * Drains `work_order_outbox` to streetwatch.work-orders.v1 in id order. A transition commits its
 * event to PostgreSQL first; this loop produces it and deletes the row after Kafka acknowledged it.
 * A crash between the ack and the delete produces the event again (at-least-once): consumers
 * dedupe on `eventId`. A transaction-scoped advisory lock keeps one drainer at a time, so events of
 * one work order reach its partition in order.
 */
export class OutboxDrainer {
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly settings: OutboxSettings,
    private readonly deps: { pool: Pool; producer: ContractProducer; log: Logger; metrics: WorkOrderMetrics },
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.kick(), this.settings.pollIntervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Drain soon (after a transition committed). Coalesces concurrent calls. */
  kick(): void {
    if (this.closed) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.loop().finally(() => {
      this.busy = null;
    });
  }

  /** Wait until the outbox is empty (tests, shutdown). */
  async flush(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if (this.busy) await this.busy;
      const n = await this.drainOnce();
      if (n === 0) return;
    }
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        const n = await this.drainOnce();
        if (n >= this.settings.batchSize) this.again = true;
      } catch (err) {
        this.deps.metrics.outboxErrors.inc();
        this.deps.log.warn({ err }, 'work-order outbox drain failed; will retry');
        return;
      }
    } while (this.again && !this.closed);
  }

  /** One batch: returns how many events were produced (0 when empty or another drainer holds the lock). */
  async drainOnce(): Promise<number> {
    const c = await this.deps.pool.connect();
    try {
      await c.query('BEGIN');
      const lock = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [LOCK_KEY]);
      if (!lock.rows[0]?.ok) {
        await c.query('COMMIT');
        return 0;
      }
      const r = await c.query<{ id: string; event: WorkOrderEvent }>(
        'SELECT id, event FROM work_order_outbox ORDER BY id LIMIT $1',
        [this.settings.batchSize],
      );
      if (r.rows.length === 0) {
        await c.query('COMMIT');
        this.deps.metrics.outboxDepth.set(0);
        return 0;
      }
      const good: WorkOrderEvent[] = [];
      for (const row of r.rows) {
        const v = validate('WorkOrderEvent', row.event);
        if (v.ok) good.push(row.event);
        else this.deps.log.error({ outboxId: row.id, errors: v.errors }, 'invalid work-order event in the outbox dropped (a bug)');
      }
      try {
        await this.deps.producer.send(TOPICS.workOrders, good);
      } catch (err) {
        await c.query('ROLLBACK');
        await this.deps.pool
          .query('UPDATE work_order_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1)', [
            r.rows.map((x) => x.id),
            String((err as Error).message).slice(0, 500),
          ])
          .catch(() => undefined);
        throw err;
      }
      await c.query('DELETE FROM work_order_outbox WHERE id = ANY($1)', [r.rows.map((x) => x.id)]);
      await c.query('COMMIT');
      const depth = await this.deps.pool.query<{ n: string }>('SELECT count(*) AS n FROM work_order_outbox');
      this.deps.metrics.outboxDepth.set(Number(depth.rows[0]?.n ?? 0));
      return r.rows.length;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.busy) await this.busy;
  }
}
