import type { PoolClient } from '@streetwatch/platform';
import { SYSTEM, type Emit, type WorkOrderRow } from './model.js';
import { writeTransition } from './store.js';

/**
 * Clearance evidence (核查): a violation's `end` becomes "cleared at 14:15:40" on the open work
 * orders of that violation. Every end is also kept in `violation_ends`, so a work order created
 * AFTER its violation ended (a `count` alert naming an ended violation, a department whose group
 * waited longer, a re-dispatch) gets it at creation. The rows are durable (a restart loses none)
 * and are removed by the retention job (`retention.violationEnds`).
 *
 * Race: an end and a dispatch of the same violation may run at the same time in two transactions;
 * under READ COMMITTED each could miss the other's uncommitted row. Both therefore take a
 * transaction-scoped advisory lock per violation id first, in a statement of its own (the next
 * statement's snapshot then sees what the other committed).
 */

/** Serialise with concurrent ends/dispatches of these violations (sorted: no deadlock). */
export async function lockViolations(c: PoolClient, violationIds: readonly string[]): Promise<void> {
  if (violationIds.length === 0) return;
  await c.query(
    `SELECT count(pg_advisory_xact_lock(hashtextextended('sw-violation:' || v, 0)))
       FROM (SELECT DISTINCT unnest($1::text[]) AS v ORDER BY 1) s`,
    [violationIds],
  );
}

/** Keep a violation's end (the first one wins: replays change nothing). */
export async function recordViolationEnd(c: PoolClient, violationId: string, endedAt: Date, receivedAt: Date): Promise<void> {
  await c.query(
    `INSERT INTO violation_ends (violation_id, ended_at, received_at) VALUES ($1, $2, $3) ON CONFLICT (violation_id) DO NOTHING`,
    [violationId, endedAt, receivedAt],
  );
}

/** The kept ends of these violations, earliest first. */
export async function readViolationEnds(c: PoolClient, violationIds: readonly string[]): Promise<Array<{ violationId: string; endedAt: Date }>> {
  if (violationIds.length === 0) return [];
  const r = await c.query<{ violation_id: string; ended_at: Date }>(
    'SELECT violation_id, ended_at FROM violation_ends WHERE violation_id = ANY($1::text[]) ORDER BY ended_at, violation_id',
    [violationIds],
  );
  return r.rows.map((x) => ({ violationId: x.violation_id, endedAt: x.ended_at }));
}

/**
 * Add one violation's end to a work order (a `violation_cleared` event); `cleared_at` is set once
 * every violation of the order has ended. Returns the updated row, or the same row when the
 * violation is not on the order or was already attached.
 */
export async function attachEnd(
  c: PoolClient,
  emit: Emit,
  wo: WorkOrderRow,
  violationId: string,
  clearedAt: Date,
  at: Date,
  timeOfDay: (d: Date) => string,
): Promise<WorkOrderRow> {
  if (!wo.violation_ids.includes(violationId) || wo.cleared_violation_ids.includes(violationId)) return wo;
  const cleared = [...wo.cleared_violation_ids, violationId];
  const all = wo.violation_ids.every((v) => cleared.includes(v));
  const hhmmss = timeOfDay(clearedAt);
  const note =
    wo.violation_ids.length > 1
      ? `violation ${violationId} cleared at ${hhmmss} (${cleared.length}/${wo.violation_ids.length}) · 已消除`
      : `cleared at ${hhmmss} · 现场已消除`;
  const { event, row } = await writeTransition(c, wo, {
    action: 'violation_cleared',
    to: wo.status,
    actor: SYSTEM,
    at,
    note,
    set: { cleared_at: all ? clearedAt : wo.cleared_at, cleared_violation_ids: cleared },
  });
  emit(event, row);
  return row;
}

/** A work order just created: attach the ends already kept for its violations (caller holds the locks). */
export async function attachKeptEnds(
  c: PoolClient,
  emit: Emit,
  wo: WorkOrderRow,
  at: Date,
  timeOfDay: (d: Date) => string,
  /** The kept ends of (at least) its violations, earliest first, when the caller read them already. */
  kept?: ReadonlyArray<{ violationId: string; endedAt: Date }>,
): Promise<{ row: WorkOrderRow; attached: number }> {
  let row = wo;
  let attached = 0;
  const ends = kept ? kept.filter((e) => wo.violation_ids.includes(e.violationId)) : await readViolationEnds(c, wo.violation_ids);
  for (const e of ends) {
    const next = await attachEnd(c, emit, row, e.violationId, e.endedAt, at, timeOfDay);
    if (next !== row) attached++;
    row = next;
  }
  return { row, attached };
}
