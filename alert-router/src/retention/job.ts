/**
 * Retention: a periodic job that deletes what the router no longer needs, in small batches (each
 * DELETE its own short transaction, walking an index from migration 300), with a count per table
 * in `streetwatch_router_retention_deleted_rows_total`.
 *
 * What goes, and what never does whatever its age (see RetentionConfig):
 * - deliveries `sent` or `failed` (moved on to the fallback channel) after `deliveries`; never
 *   `pending`, `inflight`, `retrying`, `held` (uncertain, waiting for a person) or `dead` (the record
 *   that nobody was reached; removed by hand after a look).
 * - a notification's content (router_notifications) with the last delivery that names it.
 * - Delivery events (router_delivery_attempts) after `deliveries`, only once published to Kafka.
 * - alerts (the dedup rows) and their group memberships after `alerts`, unless a membership is
 *   still pending; then notification groups that are idle (no timer) with no members left.
 * - work orders `closed`, or `returned` and already re-dispatched to a department whose order is
 *   finished too, after `workOrders` since their last change, with history, escalations, photos (rows
 *   and files) and false-positive marks; never an open one, one with events still in the outbox,
 *   or one with an escalation notice not yet sent.
 * - silences after `silences` since they ended; audit rows after `audit`; kept violation ends after
 *   `violationEnds`.
 *
 * Several router instances: a session advisory lock lets one run at a time; the others skip.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { counter, gauge, type Logger, type Pool, type PoolClient, type Registry } from '@streetwatch/platform';
import { ms } from '../config/durations.js';
import type { RetentionConfig } from '../config/schema.js';
import { systemClock, type Clock } from '@streetwatch/platform';

const LOCK_KEY = 0x52455445; // 'RETE'

/** The tables the job deletes from (one `table` label each). */
export const RETAINED_TABLES = [
  'router_deliveries',
  'router_notifications',
  'router_delivery_attempts',
  'router_alerts',
  'router_group_members',
  'router_groups',
  'work_orders',
  'work_order_history',
  'work_order_escalations',
  'work_order_photos',
  'alert_feedback',
  'router_silences',
  'api_audit',
  'evidence_links',
  'evidence_views',
  'live_tickets',
  'violation_ends',
] as const;
export type RetainedTable = (typeof RETAINED_TABLES)[number];

export interface RetentionRun {
  /** Another instance held the lock (or the job is closed): nothing was done. */
  readonly skipped: boolean;
  readonly deleted: Partial<Record<RetainedTable, number>>;
}

export interface RetentionDeps {
  readonly pool: Pool;
  readonly log: Logger;
  readonly registry: Registry;
  readonly clock?: Clock;
  /** The work-order photo folder (`<dir>/<workOrderId>/...`): deleted orders' folders are removed. */
  readonly photosDir?: string;
}

type Counts = Partial<Record<RetainedTable, number>>;
/** One batch: rows deleted per table, and files to remove once the batch committed. */
type Step = (c: PoolClient, cutoff: Date, limit: number) => Promise<{ deleted: Counts; folders?: string[] }>;

const single =
  (table: RetainedTable, sql: string): Step =>
  async (c, cutoff, limit) => ({ deleted: { [table]: (await c.query(sql, [cutoff, limit])).rowCount ?? 0 } });

export class RetentionJob {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly deletedRows;
  private readonly runs;
  private readonly lastSuccess;
  private timer: NodeJS.Timeout | undefined;
  private first: NodeJS.Timeout | undefined;
  private running: Promise<RetentionRun> | undefined;
  private closed = false;

  constructor(
    private readonly cfg: RetentionConfig,
    private readonly deps: RetentionDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log.child({ component: 'retention' });
    this.deletedRows = counter(deps.registry, 'streetwatch_router_retention_deleted_rows_total', 'Rows deleted by the retention job, per table', ['table']);
    this.runs = counter(deps.registry, 'streetwatch_router_retention_runs_total', 'Retention job runs: ok, skipped (another instance ran it), error', ['result']);
    this.lastSuccess = gauge(deps.registry, 'streetwatch_router_retention_last_success_timestamp_seconds', 'When the retention job last completed');
    // Series from the start (0), so rules over them (alert StreetwatchRouterRetentionFailing) see the first increase.
    for (const table of RETAINED_TABLES) this.deletedRows.inc({ table }, 0);
    for (const result of ['ok', 'skipped', 'error']) this.runs.inc({ result }, 0);
  }

  /** Run every `interval`, the first time shortly after start (not in the start-up path). */
  start(): void {
    if (!this.cfg.enabled || this.timer || this.closed) return;
    const every = ms(this.cfg.interval);
    this.first = setTimeout(() => this.kick(), Math.min(every, 30_000));
    this.first.unref();
    this.timer = setInterval(() => this.kick(), every);
    this.timer.unref();
  }

  private kick(): void {
    if (this.running) return;
    void this.runOnce().catch(() => undefined);
  }

  /** One pass over every table (tests call this after moving the clock). Concurrent calls share one run. */
  runOnce(): Promise<RetentionRun> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stop the timer and wait for a run in progress (it stops after its current batch). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.first) clearTimeout(this.first);
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<RetentionRun> {
    if (this.closed) return { skipped: true, deleted: {} };
    const started = Date.now();
    const c = await this.deps.pool.connect();
    let locked = false;
    try {
      locked = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_KEY])).rows[0]?.ok === true;
      if (!locked) {
        this.runs.inc({ result: 'skipped' });
        return { skipped: true, deleted: {} };
      }
      const now = this.clock.now();
      const deleted: Counts = {};
      for (const [keep, step] of this.plan()) {
        if (keep === 'forever') continue;
        const cutoff = new Date(now - ms(keep));
        for (;;) {
          if (this.closed) break;
          const n = await this.batch(c, step, cutoff);
          let total = 0;
          for (const [table, k] of Object.entries(n) as Array<[RetainedTable, number]>) {
            deleted[table] = (deleted[table] ?? 0) + k;
            if (k > 0) this.deletedRows.inc({ table }, k);
            total = Math.max(total, k);
          }
          if (total < this.cfg.batchSize) break;
        }
      }
      this.runs.inc({ result: 'ok' });
      this.lastSuccess.set(Date.now() / 1000);
      const any = Object.values(deleted).some((n) => n > 0);
      this.log[any ? 'info' : 'debug']({ deleted, ms: Date.now() - started }, 'retention run done');
      return { skipped: false, deleted };
    } catch (err) {
      this.runs.inc({ result: 'error' });
      this.log.warn({ err }, 'retention run failed; next run retries');
      throw err;
    } finally {
      if (locked) await c.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
      c.release();
    }
  }

  /** One batch of one step in its own transaction; its files go after COMMIT (a rollback keeps them). */
  private async batch(c: PoolClient, step: Step, cutoff: Date): Promise<Counts> {
    await c.query('BEGIN');
    let out: Awaited<ReturnType<Step>>;
    try {
      out = await step(c, cutoff, this.cfg.batchSize);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
    for (const f of out.folders ?? []) {
      await rm(f, { recursive: true, force: true }).catch((err: unknown) => this.log.warn({ err, folder: f }, 'photo folder of a deleted work order not removed'));
    }
    return out.deleted;
  }

  /** The steps, in order, each with the retention period it uses. `$1` = cutoff, `$2` = batch size. */
  private plan(): Array<[string, Step]> {
    const r = this.cfg;
    return [
      [
        r.deliveries,
        single(
          'router_delivery_attempts',
          `DELETE FROM router_delivery_attempts WHERE id IN (
             SELECT id FROM router_delivery_attempts WHERE published AND at < $1 ORDER BY at LIMIT $2)`,
        ),
      ],
      [r.deliveries, (c, cutoff, limit) => this.deliveries(c, cutoff, limit)],
      [r.alerts, (c, cutoff, limit) => this.alerts(c, cutoff, limit)],
      [
        r.alerts,
        single(
          'router_groups',
          `DELETE FROM router_groups WHERE group_key IN (
             SELECT g.group_key FROM router_groups g
             WHERE g.next_flush_at IS NULL AND COALESCE(g.last_flush_at, g.created_at) < $1
               AND NOT EXISTS (SELECT 1 FROM router_group_members m WHERE m.group_key = g.group_key)
             LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        ),
      ],
      [r.workOrders, (c, cutoff, limit) => this.workOrders(c, cutoff, limit)],
      [r.silences, single('router_silences', `DELETE FROM router_silences WHERE silence_id IN (SELECT silence_id FROM router_silences WHERE ends_at < $1 ORDER BY ends_at LIMIT $2)`)],
      [r.audit, single('api_audit', `DELETE FROM api_audit WHERE id IN (SELECT id FROM api_audit WHERE at < $1 ORDER BY at LIMIT $2)`)],
      // Live tickets and their viewings (ON DELETE CASCADE) are audit records too.
      [r.audit, single('live_tickets', `DELETE FROM live_tickets WHERE id IN (SELECT id FROM live_tickets WHERE issued_at < $1 ORDER BY issued_at LIMIT $2)`)],
      [
        r.violationEnds,
        single(
          'violation_ends',
          `DELETE FROM violation_ends WHERE violation_id IN (SELECT violation_id FROM violation_ends WHERE received_at < $1 ORDER BY received_at LIMIT $2)`,
        ),
      ],
    ];
  }

  /** Sent or failed (moved to the fallback) deliveries, and the notifications no delivery names any more. */
  private async deliveries(c: PoolClient, cutoff: Date, limit: number): ReturnType<Step> {
    const gone = await c.query<{ notification_key: string; alert_id: string }>(
      `DELETE FROM router_deliveries WHERE idempotency_key IN (
         SELECT idempotency_key FROM router_deliveries WHERE state IN ('sent', 'failed') AND updated_at < $1
         ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING notification_key, alert_id`,
      [cutoff, limit],
    );
    if (gone.rows.length === 0) return { deleted: { router_deliveries: 0 } };
    // Other channels of the same flush, or its fallback, may still be waiting: their notification
    // stays. A notification's deliveries all name its first alert, so they are found by alert_id.
    const notifications = await c.query(
      `DELETE FROM router_notifications n
       USING (SELECT DISTINCT x.n, x.a FROM unnest($1::text[], $2::text[]) AS x(n, a)) g
       WHERE n.notification_key = g.n
         AND NOT EXISTS (SELECT 1 FROM router_deliveries d WHERE d.alert_id = g.a AND d.notification_key = g.n)`,
      [gone.rows.map((r) => r.notification_key), gone.rows.map((r) => r.alert_id)],
    );
    return { deleted: { router_deliveries: gone.rows.length, router_notifications: notifications.rowCount ?? 0 } };
  }

  /** Notified (or given-up) alerts and their memberships; an alert with a pending membership stays. */
  private async alerts(c: PoolClient, cutoff: Date, limit: number): ReturnType<Step> {
    const ids = await c.query<{ alert_id: string }>(
      `SELECT a.alert_id FROM router_alerts a
       WHERE a.received_at < $1
         AND NOT EXISTS (SELECT 1 FROM router_group_members m WHERE m.alert_id = a.alert_id AND m.state = 'pending')
       ORDER BY a.received_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [cutoff, limit],
    );
    if (ids.rows.length === 0) return { deleted: { router_alerts: 0 } };
    const list = ids.rows.map((x) => x.alert_id);
    const members = await c.query('DELETE FROM router_group_members WHERE alert_id = ANY($1::text[])', [list]);
    const alerts = await c.query('DELETE FROM router_alerts WHERE alert_id = ANY($1::text[])', [list]);
    return { deleted: { router_group_members: members.rowCount ?? 0, router_alerts: alerts.rowCount ?? 0 } };
  }

  /** Finished work orders with everything that hangs off them; their photo folders after COMMIT. */
  private async workOrders(c: PoolClient, cutoff: Date, limit: number): ReturnType<Step> {
    const ids = await c.query<{ id: string }>(
      `SELECT w.id FROM work_orders w
       WHERE w.status IN ('closed', 'returned') AND w.updated_at < $1
         AND (w.status = 'closed' OR (w.redispatched_to IS NOT NULL AND NOT EXISTS (
               SELECT 1 FROM work_orders n WHERE n.id = w.redispatched_to AND n.status NOT IN ('closed', 'returned'))))
         AND NOT EXISTS (SELECT 1 FROM work_order_outbox o WHERE o.work_order_id = w.id)
         AND NOT EXISTS (SELECT 1 FROM work_order_escalations e
                         WHERE e.work_order_id = w.id AND e.notified_at IS NULL AND e.cancelled_at IS NULL)
       ORDER BY w.updated_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [cutoff, limit],
    );
    if (ids.rows.length === 0) return { deleted: { work_orders: 0 } };
    const list = ids.rows.map((x) => x.id);
    const del = async (table: RetainedTable): Promise<number> =>
      (await c.query(`DELETE FROM ${table} WHERE work_order_id = ANY($1::text[])`, [list])).rowCount ?? 0;
    const photos = await c.query<{ work_order_id: string }>('DELETE FROM work_order_photos WHERE work_order_id = ANY($1::text[]) RETURNING work_order_id', [list]);
    const deleted: Counts = {
      work_order_photos: photos.rowCount ?? 0,
      work_order_escalations: await del('work_order_escalations'),
      work_order_history: await del('work_order_history'),
      alert_feedback: await del('alert_feedback'),
      // evidence link/view audit lives as long as its work order
      evidence_views: await del('evidence_views'),
      evidence_links: await del('evidence_links'),
      work_orders: (await c.query('DELETE FROM work_orders WHERE id = ANY($1::text[])', [list])).rowCount ?? 0,
    };
    const dir = this.deps.photosDir;
    const withPhotos = [...new Set(photos.rows.map((p) => p.work_order_id))];
    return { deleted, ...(dir ? { folders: withPhotos.map((id) => join(dir, id)) } : {}) };
  }
}
