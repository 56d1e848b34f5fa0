/**
 * The router's core: `ingest` records alerts once (dedup on alertId, PG primary key) together with
 * their routing (group memberships) in one transaction, which is what the consumer waits for
 * before committing offsets. `flushDue` notifies groups whose timer is due (group wait / interval /
 * repeat, Alertmanager-style): silences and inhibition are checked at that moment, the work order
 * is dispatched (idempotent on alert x department), and one delivery intent per channel is written
 * in the same transaction that marks the members notified (routing/flush.ts). All times come from the
 * router clock.
 */
import { iso } from '@streetwatch/platform';
import type { Alert } from '@streetwatch/schemas';
import { ms } from '../config/durations.js';
import type { RouterConfig } from '../config/schema.js';
import { GroupFlush, type RouterDeps } from './flush.js';
import { RoutingTree } from './tree.js';

export type { IntentHandoff, RouterDeps } from './flush.js';

export interface IncomingAlert {
  readonly alert: Alert;
  readonly partition?: number;
  readonly offset?: string;
}

export class AlertRouter {
  private readonly tree: RoutingTree;
  private readonly flush: GroupFlush;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;

  constructor(
    private readonly cfg: Pick<RouterConfig, 'routing' | 'departments' | 'channels' | 'delivery'>,
    private readonly deps: RouterDeps,
  ) {
    this.tree = new RoutingTree(cfg.routing.route);
    this.flush = new GroupFlush(cfg, deps, ms(cfg.delivery.resolveTimeout));
  }

  /**
   * Record a batch of alerts and their routing durably. Resolves once committed. One statement
   * (one round trip, atomic on its own): the alerts are inserted with ON CONFLICT DO NOTHING and
   * only the ones that were new get group memberships (and touch their groups' timers).
   */
  async ingest(batch: readonly IncomingAlert[]): Promise<{ fresh: number; duplicates: number }> {
    const now = this.deps.clock.now();
    const uniq = new Map<string, IncomingAlert>();
    for (const m of batch) if (!uniq.has(m.alert.alertId)) uniq.set(m.alert.alertId, m);
    const plan = this.plan([...uniq.values()].map((m) => m.alert), now);
    const ins = await this.deps.pool.query<{ alert_id: string }>(
      `WITH ins AS (
         INSERT INTO router_alerts (alert_id, alert, source_partition, source_offset, received_at)
         SELECT x.id, x.alert, x.p, x.o, $2 FROM jsonb_to_recordset($1::jsonb) AS x(id text, alert jsonb, p int, o text)
         ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id),
       m AS (
         SELECT x.g, x.a, x.d FROM jsonb_to_recordset($3::jsonb) AS x(g text, a text, d text)
         JOIN ins ON ins.alert_id = x.a),
       -- A new group waits groupWait; an existing one notifies new members groupInterval after its last flush.
       grp AS (
         INSERT INTO router_groups (group_key, department_id, route, labels, channels, group_wait_ms, group_interval_ms,
           repeat_interval_ms, created_at, next_flush_at)
         SELECT x.k, x.d, x.route, x.labels, x.ch, x.w, x.i, x.r, $2, x.next
         FROM jsonb_to_recordset($4::jsonb) AS x(k text, d text, route text, labels jsonb, ch text[], w bigint, i bigint, r bigint, next timestamptz)
         WHERE x.k IN (SELECT g FROM m)
         ON CONFLICT (group_key) DO UPDATE SET next_flush_at = CASE
           WHEN router_groups.last_flush_at IS NULL THEN COALESCE(router_groups.next_flush_at, EXCLUDED.next_flush_at)
           ELSE LEAST(COALESCE(router_groups.next_flush_at, 'infinity'::timestamptz),
                      GREATEST(router_groups.last_flush_at + router_groups.group_interval_ms * interval '1 millisecond', EXCLUDED.next_flush_at))
         END
         RETURNING 1),
       mem AS (
         INSERT INTO router_group_members (group_key, alert_id, department_id, state, added_at)
         SELECT m.g, m.a, m.d, 'pending', $2 FROM m
         ON CONFLICT DO NOTHING RETURNING 1)
       SELECT alert_id FROM ins`,
      [
        JSON.stringify([...uniq.values()].map((m) => ({ id: m.alert.alertId, alert: m.alert, p: m.partition ?? null, o: m.offset ?? null }))),
        iso(now),
        JSON.stringify(plan.members),
        JSON.stringify([...plan.groups.values()]),
      ],
    );
    const isNew = new Set(ins.rows.map((r) => r.alert_id));
    const fresh = [...uniq.values()].filter((m) => isNew.has(m.alert.alertId)).map((m) => m.alert);
    let due = false;
    for (const a of fresh) {
      this.deps.inhibitor.observe(a, now);
      for (const r of plan.byAlert.get(a.alertId) ?? []) {
        if (r.department === 'none') this.deps.log.warn({ alertId: a.alertId, route: r.route }, 'alert matched a route without departments');
        this.deps.metrics.routed.inc({ department: r.department, route: r.route });
        if (r.due) due = true;
      }
    }
    const duplicates = batch.length - fresh.length;
    this.deps.metrics.alerts.inc({ result: 'new' }, fresh.length);
    if (duplicates > 0) this.deps.metrics.alerts.inc({ result: 'duplicate' }, duplicates);
    if (due) this.kick();
    return { fresh: fresh.length, duplicates };
  }

  /** Group memberships each alert would get (pure: applied only to the alerts that turn out new). */
  private plan(alerts: readonly Alert[], now: number): {
    groups: Map<string, Record<string, unknown>>;
    members: Array<{ g: string; a: string; d: string }>;
    byAlert: Map<string, Array<{ department: string; route: string; due: boolean }>>;
  } {
    const groups = new Map<string, Record<string, unknown>>();
    const members: Array<{ g: string; a: string; d: string }> = [];
    const byAlert = new Map<string, Array<{ department: string; route: string; due: boolean }>>();
    for (const alert of alerts) {
      const seen = new Set<string>();
      const routed: Array<{ department: string; route: string; due: boolean }> = [];
      byAlert.set(alert.alertId, routed);
      for (const m of this.tree.match(alert, now)) {
        if (m.departments.length === 0) routed.push({ department: 'none', route: m.route, due: false });
        for (const d of m.departments) {
          if (seen.has(d)) continue; // first matching route decides a department's grouping and channels
          seen.add(d);
          const { key, labels } = RoutingTree.groupKey(m, d, alert);
          if (!groups.has(key)) {
            groups.set(key, {
              k: key, d, route: m.route, labels, ch: m.channels ?? null,
              w: m.groupWaitMs, i: m.groupIntervalMs, r: m.repeatIntervalMs, next: iso(now + m.groupWaitMs),
            });
          }
          members.push({ g: key, a: alert.alertId, d });
          routed.push({ department: d, route: m.route, due: m.groupWaitMs === 0 });
        }
      }
    }
    return { groups, members, byAlert };
  }

  /** Flush due groups soon (coalesced). */
  kick(): void {
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = this.flushDue()
      .then(() => undefined)
      .catch((err: unknown) => this.deps.log.error({ err }, 'flushing notification groups failed; will retry on next poll'))
      .finally(() => {
        this.flushing = undefined;
        if (this.flushAgain) {
          this.flushAgain = false;
          this.kick();
        }
      });
  }

  /** Wait for a running flush (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Notify every group whose timer is due now. Returns the number of groups flushed. */
  async flushDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.flush.batch(200);
      total += n;
      if (n < 200) return total;
    }
  }
}
