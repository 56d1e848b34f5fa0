import type { Logger, Pool, PoolClient } from '@streetwatch/platform';
import type { Alert, WorkOrderStatus } from '@streetwatch/schemas';
import type { EscalationTarget, Notifier } from '../seams.js';
import type { Clock } from '@streetwatch/platform';
import type { WorkOrdersConfig } from './config.js';
import { chainFor, dueLevels } from './deadlines.js';
import type { WorkOrderMetrics } from './metrics.js';
import { SYSTEM, type Emit } from './model.js';
import { OPEN_STATUSES } from './states.js';
import { lockWorkOrder, writeTransition } from './store.js';

export interface EscalatorDeps {
  readonly pool: Pool;
  readonly notifier: Notifier;
  readonly log: Logger;
  readonly metrics: WorkOrderMetrics;
  readonly clock: Clock;
  readonly transaction: <T>(fn: (c: PoolClient, emit: Emit) => Promise<T>) => Promise<T>;
}

const TARGET_ZH: Record<EscalationTarget, string> = { department: '科室', 'on-duty': '值班人员', head: '科室负责人', 'next-level': '上级' };

/**
 * Deadlines → escalation. Each pass (timer, or `runOnce` from tests with a manual clock):
 * 1. for every open work order whose `next_escalation_at` has passed, record each chain level now
 *    due (row in work_order_escalations keyed `<workOrderId>:<step>-<round>:<level>`, plus an
 *    `escalated` event), in level order, in one transaction;
 * 2. notify every recorded level not yet notified, oldest first, through the Notifier with that key
 *    as idempotency key (a crash between 1 and 2, or a failed notify, is retried on the next pass;
 *    levels whose step was completed meanwhile are cancelled instead).
 */
export class Escalator {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | null = null;
  private closed = false;

  constructor(
    private readonly config: WorkOrdersConfig,
    private readonly deps: EscalatorDeps,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err) => this.deps.log.warn({ err }, 'escalation pass failed; retried next tick'))
        .finally(() => {
          this.running = null;
        });
    }, this.config.escalation.tickIntervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.running) await this.running;
  }

  async runOnce(): Promise<{ fired: number; notified: number }> {
    const now = new Date(this.deps.clock.now());
    const due = await this.deps.pool.query<{ id: string }>(
      `SELECT id FROM work_orders WHERE next_escalation_at <= $1 AND status = ANY($2)
        ORDER BY next_escalation_at, id LIMIT 500`,
      [now, OPEN_STATUSES],
    );
    let fired = 0;
    for (const { id } of due.rows) fired += await this.fire(id, now);
    const notified = await this.notifyPending(now);
    await this.refreshOpenGauge();
    return { fired, notified };
  }

  private fire(id: string, now: Date): Promise<number> {
    return this.deps.transaction(async (c, emit) => {
      let row = await lockWorkOrder(c, id);
      if (!row || !row.deadline_at || !row.deadline_step || !row.next_escalation_at) return 0;
      if (row.next_escalation_at.getTime() > now.getTime() || !OPEN_STATUSES.includes(row.status)) return 0;
      const chain = chainFor(this.config, row.department_id);
      const { due, nextAt } = dueLevels(chain, row.deadline_at, row.escalation_level, now);
      const step = `${row.deadline_step}-${row.deadline_round}`;
      const deadlineIso = row.deadline_at.toISOString();
      let fired = 0;
      for (const l of due) {
        const key = `${row.id}:${step}:${l.level}`;
        const ins = await c.query(
          `INSERT INTO work_order_escalations (key, work_order_id, step, round, level, target, due_at, fired_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING`,
          [key, row.id, row.deadline_step, row.deadline_round, l.level, l.target, l.dueAt, now],
        );
        if (!ins.rowCount) continue;
        const written = await writeTransition(c, row, {
          action: 'escalated',
          to: row.status,
          actor: SYSTEM,
          at: now,
          note: `${row.deadline_step} overdue (deadline ${deadlineIso}): level ${l.level} → ${l.target} · 超时升级至${TARGET_ZH[l.target]}`,
          set: { escalation_level: l.level },
        });
        row = written.row;
        emit(written.event, row);
        fired++;
        this.deps.metrics.escalations.inc({ department: row.department_id, step: row.deadline_step ?? '', target: l.target });
      }
      const level = due.length ? (due[due.length - 1]?.level ?? row.escalation_level) : row.escalation_level;
      await c.query('UPDATE work_orders SET next_escalation_at = $2, escalation_level = $3 WHERE id = $1', [row.id, nextAt, level]);
      return fired;
    });
  }

  private async notifyPending(now: Date): Promise<number> {
    const r = await this.deps.pool.query<{
      key: string;
      work_order_id: string;
      round: number;
      target: EscalationTarget;
      department_id: string;
      alert: Alert;
      status: WorkOrderStatus;
      deadline_round: number;
    }>(
      `SELECT e.key, e.work_order_id, e.round, e.target, w.department_id, w.alert, w.status, w.deadline_round
         FROM work_order_escalations e JOIN work_orders w ON w.id = e.work_order_id
        WHERE e.notified_at IS NULL AND e.cancelled_at IS NULL
        ORDER BY e.fired_at, e.work_order_id, e.level LIMIT 500`,
    );
    let notified = 0;
    const failed = new Set<string>();
    for (const e of r.rows) {
      if (failed.has(e.work_order_id)) continue; // keep one work order's levels in order
      if (!OPEN_STATUSES.includes(e.status) || e.round !== e.deadline_round) {
        await this.deps.pool.query('UPDATE work_order_escalations SET cancelled_at = $2 WHERE key = $1', [e.key, now]);
        continue;
      }
      try {
        await this.deps.notifier.notify({ workOrderId: e.work_order_id, departmentId: e.department_id, alert: e.alert, target: e.target, key: e.key });
        await this.deps.pool.query('UPDATE work_order_escalations SET notified_at = $2, attempts = attempts + 1 WHERE key = $1', [e.key, now]);
        notified++;
      } catch (err) {
        failed.add(e.work_order_id);
        this.deps.metrics.escalationNotifyErrors.inc({ department: e.department_id });
        this.deps.log.warn({ err, workOrderId: e.work_order_id, key: e.key }, 'escalation notice failed; retried next pass');
        await this.deps.pool.query('UPDATE work_order_escalations SET attempts = attempts + 1, last_error = $2 WHERE key = $1', [
          e.key,
          String((err as Error).message).slice(0, 500),
        ]);
      }
    }
    return notified;
  }

  private async refreshOpenGauge(): Promise<void> {
    const r = await this.deps.pool.query<{ department_id: string; status: string; n: string }>(
      `SELECT department_id, status, count(*) AS n FROM work_orders
        WHERE status = ANY($1) AND NOT (status = 'returned' AND redispatched_to IS NOT NULL) GROUP BY 1, 2`,
      [[...OPEN_STATUSES, 'returned']],
    );
    this.deps.metrics.open.reset();
    for (const x of r.rows) this.deps.metrics.open.set({ department: x.department_id, status: x.status }, Number(x.n));
  }
}

