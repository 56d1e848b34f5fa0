/**
 * The flush of due notification groups (AlertRouter.flushDue): a batch of groups whose timer is due
 * (group wait / interval / repeat) is locked, silences and inhibition are checked at that moment,
 * work orders are dispatched (idempotent on alert x department, the batch's in one transaction), and one delivery intent per channel
 * is written in the same transaction that marks the members notified; intents the delivery engine
 * has room for are written already claimed and handed to it after COMMIT.
 */
import type { QueryResult } from 'pg';
import { iso, type Clock, type Logger, type Pool } from '@streetwatch/platform';
import type { Alert } from '@streetwatch/schemas';
import { renderNotification } from '../channels/render.js';
import type { Notification } from '../channels/types.js';
import type { RouterConfig } from '../config/schema.js';
import type { RouterMetrics } from '../delivery/metrics.js';
import type { DeliveryStore } from '../delivery/store.js';
import type { WorkOrderRef, WorkOrderService } from '../seams.js';
import {
  attemptsParam,
  claimedAtInsert,
  deliveryKey,
  insertAttemptsSql,
  insertIntentsSql,
  insertNotificationsSql,
  intentsParam,
  notificationsParam,
  type ClaimedDelivery,
  type NewDelivery,
} from '../delivery/store.js';
import { deliveryEvent, suppressedAttempts } from '../delivery/events.js';
import type { Inhibitor } from './inhibition.js';
import type { SilenceStore } from './silences.js';

/**
 * Intents the flush writes already claimed (inflight, attempt 1, its `intent` attempt row in the
 * same statement) are handed to the engine after COMMIT: no claim round trip, no re-reading the
 * message. The intent is still durable before the provider is called.
 */
export interface IntentHandoff {
  reserve(channelName: string, n: number): { granted: number; leaseMs: number };
  release(channelName: string, n: number): void;
  dispatch(rows: readonly ClaimedDelivery[]): void;
}

/** What the router and its flush run on (declared here, below router.ts, which imports the flush). */
export interface RouterDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: RouterMetrics;
  readonly silences: SilenceStore;
  readonly inhibitor: Inhibitor;
  readonly deliveries: DeliveryStore;
  /** Told when new attempt rows exist; `pending` when some intents were not handed over (the engine has to claim them). */
  readonly onIntents: (what?: { pending: boolean }) => void;
  /** The delivery engine's room for intents written already claimed (see GroupFlush.batch). */
  readonly handoff?: IntentHandoff | undefined;
  readonly workOrders?: WorkOrderService | undefined;
}

interface GroupRow {
  group_key: string;
  department_id: string;
  route: string;
  channels: string[] | null;
  group_interval_ms: string;
  repeat_interval_ms: string;
  last_notified_at: Date | null;
  flushes: number;
  created_at: Date;
}

interface SortedGroup {
  readonly g: GroupRow;
  readonly toNotify: MemberRow[];
  readonly active: MemberRow[];
  readonly held: number;
}

interface MemberRow {
  group_key: string;
  alert_id: string;
  department_id: string;
  state: 'pending' | 'notified';
  suppressed_by: string | null;
  work_order_id: string | null;
  alert: Alert;
  received_at: Date;
}

/** A timestamptz literal of one of our own clock readings (digits, `-:.TZ` only: nothing to escape). */
const tsLiteral = (t: number): string => `'${iso(t)}'::timestamptz`;

export class GroupFlush {
  constructor(
    private readonly cfg: Pick<RouterConfig, 'departments' | 'channels'>,
    private readonly deps: RouterDeps,
    private readonly resolveMs: number,
  ) {}

  /**
   * One batch of due groups in one transaction of THREE round trips: `BEGIN` + the due groups
   * (locked, SKIP LOCKED) joined with their members (one simple-protocol query: its only inputs are
   * our own timestamps and an integer); then every write (members, groups, suppressed events,
   * intents) as one statement; then `COMMIT`. Was seven round trips.
   */
  async batch(limit: number): Promise<number> {
    const now = this.deps.clock.now();
    const c = await this.deps.pool.connect();
    /** Engine room reserved for intents written claimed, per channel, until dispatched or released. */
    const reserved = new Map<string, number>();
    try {
      const res = (await c.query(
        `BEGIN;
         WITH g AS (
           SELECT group_key, department_id, route, channels, group_interval_ms, repeat_interval_ms, last_notified_at, flushes, created_at, next_flush_at
           FROM router_groups WHERE next_flush_at <= ${tsLiteral(now)} ORDER BY next_flush_at LIMIT ${Math.trunc(limit)} FOR UPDATE SKIP LOCKED)
         SELECT g.group_key, g.department_id, g.route, g.channels, g.group_interval_ms, g.repeat_interval_ms, g.last_notified_at, g.flushes, g.created_at,
           ma.alert_id, ma.state, ma.suppressed_by, ma.work_order_id, ma.alert, ma.received_at
         FROM g LEFT JOIN LATERAL (
           -- per group through the members' primary key; OFFSET 0 keeps the planner from turning this
           -- back into a join that hashes whole-table scans of members and alerts (it did, every flush)
           SELECT m.alert_id, m.state, m.suppressed_by, m.work_order_id, a.alert, a.received_at
           FROM router_group_members m JOIN router_alerts a ON a.alert_id = m.alert_id
           WHERE m.group_key = g.group_key
             AND (m.state = 'pending' OR (m.state = 'notified' AND a.received_at > ${tsLiteral(now - this.resolveMs)}))
           OFFSET 0) ma ON true
         ORDER BY g.next_flush_at, g.group_key, ma.received_at, ma.alert_id`,
      )) as unknown as [unknown, QueryResult<GroupRow & Partial<Omit<MemberRow, 'group_key' | 'department_id'>>>];
      const rows = res[1].rows;
      if (rows.length === 0) {
        await c.query('COMMIT');
        return 0;
      }
      const groups = new Map<string, { g: GroupRow; members: MemberRow[] }>();
      for (const r of rows) {
        let e = groups.get(r.group_key);
        if (!e) {
          e = { g: r, members: [] };
          groups.set(r.group_key, e);
        }
        if (r.alert_id !== undefined && r.alert_id !== null) {
          e.members.push({
            group_key: r.group_key,
            alert_id: r.alert_id,
            department_id: r.department_id,
            state: r.state as MemberRow['state'],
            suppressed_by: r.suppressed_by ?? null,
            work_order_id: r.work_order_id ?? null,
            alert: r.alert as Alert,
            received_at: r.received_at as Date,
          });
        }
      }
      const deliveries: NewDelivery[] = [];
      const suppressed: Array<{ key: string; alertId: string; departmentId: string; reason: string }> = [];
      const memberUpdates: Array<{ g: string; a: string; state: string; by: string | null; wo: string | null }> = [];
      const groupUpdates: Array<{ g: string; flushed: boolean; next: string | null }> = [];
      const sorted = [...groups.values()].map(({ g, members }) => this.sortMembers(g, members, now, suppressed, memberUpdates));
      // The work orders of every new member of the batch: one transaction (idempotent on alert x department).
      const wanted = sorted.flatMap((x) => x.toNotify.map((m) => ({ alert: m.alert, departmentId: x.g.department_id })));
      const refs = this.deps.workOrders && wanted.length > 0 ? await this.deps.workOrders.dispatchMany(wanted) : [];
      let ref = 0;
      for (const x of sorted) {
        const r = this.finishGroup(x, x.toNotify.map(() => refs[ref++]), now, memberUpdates, deliveries);
        groupUpdates.push({ g: x.g.group_key, flushed: r.notified, next: r.next === undefined ? null : iso(r.next) });
      }
      // Room the engine has now: those intents are written claimed and sent right after COMMIT.
      const leases = new Map<string, number>();
      const handoff = this.deps.handoff;
      if (handoff) {
        // Leases run from now, not from the flush's start: dispatching work orders may have taken a while.
        const leaseFrom = this.deps.clock.now();
        const byChannel = new Map<string, NewDelivery[]>();
        for (const d of deliveries) {
          const list = byChannel.get(d.channelName);
          if (list) list.push(d);
          else byChannel.set(d.channelName, [d]);
        }
        for (const [ch, list] of byChannel) {
          const { granted, leaseMs } = handoff.reserve(ch, list.length);
          if (granted > 0) reserved.set(ch, granted);
          for (const d of list.slice(0, granted)) leases.set(d.key, leaseFrom + leaseMs);
        }
      }
      const intentAttempts = deliveries
        .filter((d) => leases.has(d.key))
        .map((d) => ({ key: d.key, attempt: 1, outcome: 'intent' as const, event: deliveryEvent(claimedAtInsert(d), 1, 'intent', now), at: now }));
      const w = await c.query<{ keys: string[] }>(
        `WITH mu AS (
           UPDATE router_group_members m SET state = x.state, suppressed_by = x.by, work_order_id = COALESCE(x.wo, m.work_order_id),
             notified_at = CASE WHEN x.state = 'notified' AND m.state <> 'notified' THEN $3::timestamptz ELSE m.notified_at END
           FROM jsonb_to_recordset($1::jsonb) AS x(g text, a text, state text, by text, wo text)
           WHERE m.group_key = ANY ($7::text[]) AND m.group_key = x.g AND m.alert_id = x.a
           RETURNING 1),
         gu AS (
           UPDATE router_groups g SET last_flush_at = $3, next_flush_at = x.next,
             flushes = g.flushes + CASE WHEN x.flushed THEN 1 ELSE 0 END,
             last_notified_at = CASE WHEN x.flushed THEN $3::timestamptz ELSE g.last_notified_at END
           FROM jsonb_to_recordset($2::jsonb) AS x(g text, flushed boolean, next timestamptz) WHERE g.group_key = ANY ($7::text[]) AND g.group_key = x.g
           RETURNING 1),
         sup AS (${insertAttemptsSql('$4')} RETURNING 1),
         nt AS (${insertNotificationsSql('$8', '$3')} RETURNING 1),
         ins AS (${insertIntentsSql('$5', '$3')}),
         -- intent attempt rows of the intents written claimed, if they were new (an existing key is not ours to send)
         ia AS (
           INSERT INTO router_delivery_attempts (idempotency_key, attempt, outcome, event, at)
           SELECT x.k, x.a, x.o, x.e, x.t FROM jsonb_to_recordset($6::jsonb) AS x(k text, a int, o text, e jsonb, t timestamptz)
           JOIN ins ON ins.idempotency_key = x.k
           RETURNING 1)
         SELECT ARRAY(SELECT idempotency_key FROM ins) AS keys`,
        [
          JSON.stringify(memberUpdates),
          JSON.stringify(groupUpdates),
          iso(now),
          attemptsParam(suppressedAttempts(suppressed, now)),
          intentsParam(deliveries, leases),
          attemptsParam(intentAttempts),
          // Both updates find their rows through the primary keys (= ANY): joined with the jsonb rows
          // alone, the planner hashed sequential scans of router_groups and router_group_members.
          [...groups.keys()],
          notificationsParam(deliveries),
        ],
      );
      await c.query('COMMIT');
      const inserted = new Set(w.rows[0]?.keys ?? []);
      let handedOver = 0;
      if (handoff && reserved.size > 0) {
        const send = deliveries.filter((d) => leases.has(d.key) && inserted.has(d.key));
        for (const d of send) reserved.set(d.channelName, (reserved.get(d.channelName) ?? 0) - 1);
        for (const [ch, n] of reserved) handoff.release(ch, n);
        reserved.clear();
        handoff.dispatch(send.map(claimedAtInsert));
        handedOver = send.length;
      }
      // The engine is told only of intents it has to claim: a pump finding a channel full marks it
      // as having a backlog, which would stop the next hand-offs.
      if (inserted.size > 0 || suppressed.length > 0) this.deps.onIntents({ pending: inserted.size > handedOver });
      return groups.size;
    } catch (e) {
      for (const [ch, n] of reserved) this.deps.handoff?.release(ch, n);
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /** A group's pending members sorted at flush time: suppressed (silence, inhibition) or to notify. */
  private sortMembers(
    g: GroupRow,
    members: readonly MemberRow[],
    now: number,
    suppressed: Array<{ key: string; alertId: string; departmentId: string; reason: string }>,
    memberUpdates: Array<{ g: string; a: string; state: string; by: string | null; wo: string | null }>,
  ): SortedGroup {
    const stale = (m: MemberRow): boolean => m.received_at.getTime() <= now - this.resolveMs;
    const toNotify: MemberRow[] = [];
    let held = 0;
    for (const m of members.filter((x) => x.state === 'pending')) {
      const reason = this.deps.silences.silencedBy(m.alert, now, g.department_id) ?? this.deps.inhibitor.inhibitedBy(m.alert, now);
      if (reason) {
        if (m.suppressed_by !== reason) {
          suppressed.push({ key: `suppressed:${deliveryKey(g.group_key, m.alert_id, reason)}`, alertId: m.alert_id, departmentId: g.department_id, reason });
          this.deps.metrics.suppressed.inc({ reason: reason.startsWith('sil-') ? 'silence' : 'inhibition' });
          this.deps.log.child({ alertId: m.alert_id }).info({ department: g.department_id, reason }, 'alert suppressed');
        }
        // Still firing: looked at again next interval; given up once the alert is stale.
        memberUpdates.push({ g: g.group_key, a: m.alert_id, state: stale(m) ? 'suppressed' : 'pending', by: reason, wo: null });
        if (!stale(m)) held++;
      } else {
        toNotify.push(m);
      }
    }
    return { g, toNotify, active: members.filter((x) => x.state === 'notified' && !stale(x)), held };
  }

  /** Notify a sorted group (its new members' work orders in `refs`, in order); returns its timer. */
  private finishGroup(
    { g, toNotify, active, held }: SortedGroup,
    refs: ReadonlyArray<WorkOrderRef | undefined>,
    now: number,
    memberUpdates: Array<{ g: string; a: string; state: string; by: string | null; wo: string | null }>,
    deliveries: NewDelivery[],
  ): { notified: boolean; next: number | undefined } {
    let items: Array<{ alert: Alert; workOrderId?: string }> = [];
    let kind: 'new' | 'repeat' | undefined;
    if (toNotify.length > 0) {
      kind = 'new';
      items = toNotify.map((m, i) => {
        const wo = refs[i]?.workOrderId;
        memberUpdates.push({ g: g.group_key, a: m.alert_id, state: 'notified', by: null, wo: wo ?? null });
        return { alert: m.alert, ...(wo ? { workOrderId: wo } : {}) };
      });
    } else if (active.length > 0 && g.last_notified_at && now >= g.last_notified_at.getTime() + Number(g.repeat_interval_ms)) {
      kind = 'repeat';
      items = active.map((m) => ({ alert: m.alert, ...(m.work_order_id ? { workOrderId: m.work_order_id } : {}) }));
    }
    if (kind) this.notify(g, items, kind, now, deliveries);
    const lastNotified = kind ? now : g.last_notified_at?.getTime();
    const stillActive = active.length + toNotify.length > 0;
    let next: number | undefined;
    if (held > 0) next = now + Number(g.group_interval_ms);
    else if (stillActive && lastNotified !== undefined) next = lastNotified + Number(g.repeat_interval_ms);
    return { notified: kind !== undefined, next };
  }

  private notify(g: GroupRow, items: Array<{ alert: Alert; workOrderId?: string }>, kind: 'new' | 'repeat', now: number, out: NewDelivery[]): void {
    const dept = this.cfg.departments[g.department_id];
    const channels = g.channels ?? dept?.channels ?? [];
    this.deps.metrics.notifications.inc({ department: g.department_id, kind });
    const flush = String(g.flushes + 1);
    // The group's creation time too: retention deletes idle groups, and a group made again under
    // the same key starts counting flushes at 1 — its keys must not meet the old group's.
    const created = g.created_at.toISOString();
    const rendered = renderNotification({
      departmentId: g.department_id,
      departmentName: dept?.name ?? g.department_id,
      target: 'department',
      items,
      phones: dept?.phones ?? [],
    });
    // One notification for every channel of this flush (each delivery adds its own ref line when sent).
    const message: Notification = kind === 'repeat' ? { ...rendered, title: `[repeat] ${rendered.title}`.slice(0, 200) } : rendered;
    const notificationKey = deliveryKey(g.group_key, created, flush);
    const alertIds = items.map((i) => i.alert.alertId);
    for (const ch of channels) {
      const chCfg = this.cfg.channels[ch];
      if (!chCfg) continue; // references are checked at start (config/references.ts)
      out.push({
        key: deliveryKey(g.group_key, created, flush, ch),
        notificationKey,
        alertId: alertIds[0] as string,
        alertIds,
        departmentId: g.department_id,
        workOrderId: items[0]?.workOrderId,
        channelName: ch,
        channelType: chCfg.type,
        target: 'department',
        message,
        nextAttemptAt: now,
      });
    }
  }
}
