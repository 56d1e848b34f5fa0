import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from '@streetwatch/platform';
import type { Alert, WorkOrderEvent, WorkOrderStatus } from '@streetwatch/schemas';
import type { Actor, EscalationEntry, HistoryEntry, PhotoEntry, WorkOrderRow } from './model.js';
import type { DeadlineStep } from './states.js';

/** Deterministic id: a replayed alert maps to the same work order in the same department. */
export function workOrderIdFor(alertId: string, departmentId: string): string {
  return `wo-${createHash('sha256').update(`${alertId}\u0000${departmentId}`).digest('hex').slice(0, 20)}`;
}

type Queryable = Pool | PoolClient;

export async function lockWorkOrder(c: PoolClient, id: string): Promise<WorkOrderRow | null> {
  const r = await c.query<WorkOrderRow>('SELECT * FROM work_orders WHERE id = $1 FOR UPDATE', [id]);
  return r.rows[0] ?? null;
}

export async function readWorkOrder(q: Queryable, id: string): Promise<WorkOrderRow | null> {
  const r = await q.query<WorkOrderRow>('SELECT * FROM work_orders WHERE id = $1', [id]);
  return r.rows[0] ?? null;
}

export interface DispatchInsert {
  readonly id: string;
  readonly alert: Alert;
  readonly departmentId: string;
  readonly at: Date;
  readonly deadline: Date | null;
  readonly redispatchedFrom?: string;
}

/** Insert the work order if (alert, department) has none yet; null when it already existed. */
export async function insertDispatched(c: PoolClient, v: DispatchInsert): Promise<WorkOrderRow | null> {
  return (await insertDispatchedMany(c, [v]))[0] ?? null;
}

/**
 * Insert work orders (status `dispatched`, version 0: the dispatch transition follows, see
 * writeDispatchEvents) in one statement; the ones whose (alert, department) has one already are
 * skipped. Returns the inserted rows.
 */
export async function insertDispatchedMany(c: PoolClient, rows: readonly DispatchInsert[]): Promise<WorkOrderRow[]> {
  if (rows.length === 0) return [];
  const r = await c.query<WorkOrderRow>(
    `INSERT INTO work_orders (id, alert_id, department_id, status, version, alert, type, severity, title,
       zone_id, grid_id, community_id, shop_id, camera_ids, violation_ids, lat, lon, event_time, dispatched_at,
       deadline_step, deadline_at, deadline_round, next_escalation_at, redispatched_from, updated_at)
     SELECT x.id, x.alert ->> 'alertId', x.dept, 'dispatched', 0, x.alert, x.alert ->> 'type', x.alert ->> 'severity', x.alert ->> 'title',
       x.alert #>> '{site,zoneId}', x.alert #>> '{site,gridId}', x.alert #>> '{site,communityId}', x.alert #>> '{site,shopId}',
       ARRAY(SELECT jsonb_array_elements_text(x.alert #> '{site,cameraIds}')),
       ARRAY(SELECT jsonb_array_elements_text(COALESCE(x.alert -> 'violationIds', '[]'::jsonb))),
       (x.alert #>> '{site,location,lat}')::double precision, (x.alert #>> '{site,location,lon}')::double precision,
       (x.alert ->> 'eventTime')::timestamptz, x.at,
       CASE WHEN x.deadline IS NULL THEN NULL ELSE 'sign' END, x.deadline, 1, x.deadline, x.redispatched_from, x.at
     FROM jsonb_to_recordset($1::jsonb) AS x(id text, dept text, alert jsonb, at timestamptz, deadline timestamptz, redispatched_from text)
     ON CONFLICT (alert_id, department_id) DO NOTHING
     RETURNING *`,
    [
      JSON.stringify(
        rows.map((v) => ({
          id: v.id,
          dept: v.departmentId,
          alert: v.alert,
          at: v.at.toISOString(),
          deadline: v.deadline?.toISOString() ?? null,
          redispatched_from: v.redispatchedFrom ?? null,
        })),
      ),
    ],
  );
  return r.rows;
}

/** Columns a transition may set besides status/version/deadline (never user-named). */
export type SettableColumn =
  | 'signed_at'
  | 'signed_by'
  | 'handled_at'
  | 'handled_by'
  | 'verified_at'
  | 'verified_by'
  | 'closed_at'
  | 'closed_by'
  | 'feedback'
  | 'return_reason'
  | 'resolution'
  | 'cleared_at'
  | 'cleared_violation_ids'
  | 'redispatched_to'
  | 'escalation_level'
  | 'next_escalation_at';

export interface TransitionWrite {
  readonly action: WorkOrderEvent['action'];
  readonly to: WorkOrderStatus;
  readonly actor: Actor;
  readonly at: Date;
  readonly note?: string;
  readonly set?: Partial<Record<SettableColumn, unknown>>;
  /** A new deadline phase starts (status changed): step + time, or null to clear. Omit to keep. */
  readonly deadline?: { step: DeadlineStep; at: Date } | null;
  /** Put this deadline on the event without changing the deadline columns (dispatch). */
  readonly reportDeadline?: Date;
}

/**
 * Record one transition: history row, outbox row (the WorkOrderEvent for Kafka) and the work order
 * update, all in the caller's transaction. Returns the event and the updated row.
 */
export async function writeTransition(
  c: PoolClient,
  wo: WorkOrderRow,
  t: TransitionWrite,
): Promise<{ event: WorkOrderEvent; row: WorkOrderRow }> {
  const record = transitionRecord(wo, t);
  await insertTransitionRecords(c, [record]);
  const sets: string[] = ['status = $2', 'version = $3', 'updated_at = $4'];
  const params: unknown[] = [wo.id, t.to, record.history.seq, t.at];
  for (const [col, val] of Object.entries(t.set ?? {})) {
    params.push(val);
    sets.push(`${col} = $${params.length}`);
  }
  if (t.deadline !== undefined) {
    params.push(t.deadline?.step ?? null, t.deadline?.at ?? null);
    const s = params.length - 1;
    sets.push(
      `deadline_step = $${s}`,
      `deadline_at = $${s + 1}`,
      `next_escalation_at = $${s + 1}`,
      'escalation_level = 0',
      'deadline_round = deadline_round + 1',
    );
  }
  const r = await c.query<WorkOrderRow>(`UPDATE work_orders SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params);
  return { event: record.event, row: r.rows[0] as WorkOrderRow };
}

interface TransitionRecord {
  readonly event: WorkOrderEvent;
  /** The work_order_history row, by column. */
  readonly history: {
    work_order_id: string;
    seq: number;
    event_id: string;
    action: string;
    from_status: WorkOrderStatus;
    to_status: WorkOrderStatus;
    actor_kind: string;
    actor_id: string;
    actor_role: string | null;
    note: string | null;
    deadline_at: Date | null;
    at: Date;
  };
}

/** The event and the history row of one transition. */
function transitionRecord(wo: WorkOrderRow, t: TransitionWrite): TransitionRecord {
  const seq = wo.version + 1;
  const eventId = `${wo.id}:${seq}`;
  const actor: WorkOrderEvent['actor'] =
    t.actor.kind === 'user'
      ? { kind: 'user', id: t.actor.user.id, role: t.actor.user.role }
      : { kind: 'system', id: t.actor.id, role: 'system' };
  const event: WorkOrderEvent = {
    schemaVersion: 1,
    eventId,
    workOrderId: wo.id,
    alertId: wo.alert_id,
    departmentId: wo.department_id,
    action: t.action,
    status: t.to,
    actor,
    ...(t.note ? { note: t.note.slice(0, 4000) } : {}),
    ...(t.deadline ? { deadline: t.deadline.at.toISOString() } : t.reportDeadline ? { deadline: t.reportDeadline.toISOString() } : {}),
    at: t.at.toISOString(),
  };
  const history = {
    work_order_id: wo.id,
    seq,
    event_id: eventId,
    action: t.action,
    from_status: wo.status,
    to_status: t.to,
    actor_kind: actor.kind,
    actor_id: actor.id,
    actor_role: actor.role ?? null,
    note: event.note ?? null,
    deadline_at: t.deadline === undefined ? wo.deadline_at : (t.deadline?.at ?? null),
    at: t.at,
  };
  return { event, history };
}

/** Transitions' history rows and outbox rows (their WorkOrderEvents for Kafka, in order): one statement. */
async function insertTransitionRecords(c: PoolClient, records: readonly TransitionRecord[]): Promise<void> {
  await c.query(
    `WITH h AS (
       INSERT INTO work_order_history (work_order_id, seq, event_id, action, from_status, to_status,
         actor_kind, actor_id, actor_role, note, deadline_at, at)
       SELECT x.work_order_id, x.seq, x.event_id, x.action, x.from_status, x.to_status, x.actor_kind, x.actor_id, x.actor_role,
         x.note, x.deadline_at, x.at
       FROM jsonb_to_recordset($1::jsonb) AS x(work_order_id text, seq int, event_id text, action text, from_status text,
         to_status text, actor_kind text, actor_id text, actor_role text, note text, deadline_at timestamptz, at timestamptz))
     INSERT INTO work_order_outbox (work_order_id, event)
     SELECT x.id, x.event FROM jsonb_to_recordset($2::jsonb) AS x(n int, id text, event jsonb) ORDER BY x.n`,
    [
      JSON.stringify(records.map((x) => x.history)),
      JSON.stringify(records.map((x, n) => ({ n, id: x.event.workOrderId, event: x.event }))),
    ],
  );
}

/** The first history row of a new work order (it is created in `dispatched`, with its sign deadline). */
export async function writeDispatchEvent(
  c: PoolClient,
  wo: WorkOrderRow,
  actor: Actor,
  at: Date,
  note?: string,
): Promise<{ event: WorkOrderEvent; row: WorkOrderRow }> {
  return (await writeDispatchEvents(c, [wo], actor, at, note))[0] as { event: WorkOrderEvent; row: WorkOrderRow };
}

/**
 * The dispatch transition of new work orders (inserted at version 0), for all of them at once: as
 * writeTransition does for one, its history and outbox rows, then the version bump.
 */
export async function writeDispatchEvents(
  c: PoolClient,
  rows: readonly WorkOrderRow[],
  actor: Actor,
  at: Date,
  note?: string,
): Promise<Array<{ event: WorkOrderEvent; row: WorkOrderRow }>> {
  if (rows.length === 0) return [];
  const records = rows.map((wo) =>
    transitionRecord(wo, { action: 'dispatched', to: 'dispatched', actor, at, note, reportDeadline: wo.deadline_at ?? undefined }),
  );
  await insertTransitionRecords(c, records);
  const r = await c.query<WorkOrderRow>(
    `UPDATE work_orders SET status = 'dispatched', version = version + 1, updated_at = $1 WHERE id = ANY($2::text[]) RETURNING *`,
    [at, rows.map((wo) => wo.id)],
  );
  const byId = new Map(r.rows.map((row) => [row.id, row]));
  return records.map((x) => ({ event: x.event, row: byId.get(x.event.workOrderId) as WorkOrderRow }));
}

export async function readHistory(q: Queryable, id: string): Promise<HistoryEntry[]> {
  const r = await q.query(
    `SELECT seq, event_id, action, from_status, to_status, actor_kind, actor_id, actor_role, note, deadline_at, at
       FROM work_order_history WHERE work_order_id = $1 ORDER BY seq`,
    [id],
  );
  return r.rows.map((h) => {
    const e: HistoryEntry = {
      seq: h.seq,
      eventId: h.event_id,
      action: h.action,
      toStatus: h.to_status,
      actor: { kind: h.actor_kind, id: h.actor_id, ...(h.actor_role ? { role: h.actor_role } : {}) },
      at: (h.at as Date).toISOString(),
    };
    if (h.from_status && h.seq > 1) e.fromStatus = h.from_status;
    if (h.note) e.note = h.note;
    if (h.deadline_at) e.deadline = (h.deadline_at as Date).toISOString();
    return e;
  });
}

export async function readPhotos(q: Queryable, id: string): Promise<PhotoEntry[]> {
  const r = await q.query(
    'SELECT id, content_type, bytes, sha256, uploaded_by, at FROM work_order_photos WHERE work_order_id = $1 ORDER BY at, id',
    [id],
  );
  return r.rows.map((p) => ({
    id: p.id,
    url: `/api/work-orders/${encodeURIComponent(id)}/photos/${encodeURIComponent(p.id)}`,
    contentType: p.content_type,
    bytes: p.bytes,
    sha256: p.sha256,
    uploadedBy: p.uploaded_by,
    at: (p.at as Date).toISOString(),
  }));
}

export async function readEscalations(q: Queryable, id: string): Promise<EscalationEntry[]> {
  const r = await q.query(
    'SELECT key, step, level, target, due_at, fired_at, notified_at FROM work_order_escalations WHERE work_order_id = $1 ORDER BY fired_at, level',
    [id],
  );
  return r.rows.map((e) => ({
    key: e.key,
    step: e.step,
    level: e.level,
    target: e.target,
    dueAt: (e.due_at as Date).toISOString(),
    firedAt: (e.fired_at as Date).toISOString(),
    ...(e.notified_at ? { notifiedAt: (e.notified_at as Date).toISOString() } : {}),
  }));
}

export interface ListFilter {
  readonly departmentId?: string;
  readonly statuses?: readonly WorkOrderStatus[];
  /** Leave out returned orders already re-dispatched to another department (handled). */
  readonly hideRedispatched?: boolean;
  readonly limit: number;
  readonly offset: number;
}

export async function listWorkOrders(q: Queryable, f: ListFilter): Promise<{ rows: WorkOrderRow[]; total: number }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.departmentId !== undefined) {
    params.push(f.departmentId);
    where.push(`department_id = $${params.length}`);
  }
  if (f.statuses && f.statuses.length) {
    params.push(f.statuses);
    where.push(`status = ANY($${params.length})`);
  }
  if (f.hideRedispatched) where.push("NOT (status = 'returned' AND redispatched_to IS NOT NULL)");
  const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = await q.query<{ n: string }>(`SELECT count(*) AS n FROM work_orders ${w}`, params);
  params.push(f.limit, f.offset);
  const rows = await q.query<WorkOrderRow>(
    `SELECT * FROM work_orders ${w} ORDER BY dispatched_at DESC, number DESC LIMIT $${params.length - 1} OFFSET $${params.length}`,
    params,
  );
  return { rows: rows.rows, total: Number(total.rows[0]?.n ?? 0) };
}
