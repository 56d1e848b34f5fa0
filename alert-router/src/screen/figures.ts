import type { Pool, PoolClient } from '@streetwatch/platform';

/**
 * Every figure of the overview screen, one query each, from PostgreSQL: the stream-processor's
 * history sink tables (`detection_events`, `camera_status`, `alerts`, `shop_score_changes`,
 * `flow_counts_hourly`; same database) and the router's own `work_orders`. "Today" is the local day of `timeZone` (the
 * work-order time zone) that contains `now`.
 *
 * Violations are read from `detection_events` (phase `start`, one row per violation), not from the
 * `violations_hourly` rollup: the rollup has no grid, and in TimescaleDB mode it is a continuous
 * aggregate refreshed by a policy (materialised only, minutes behind), so totals by grid and by type
 * would disagree on a live screen. One day of start rows is small (one per violation).
 */

type Queryable = Pool | PoolClient;

export type CameraState = 'online' | 'offline' | 'tampered' | 'unknown';

export interface DayWindow {
  readonly start: Date;
  readonly end: Date;
}

export interface CameraFigure {
  readonly cameraId: string;
  readonly state: CameraState;
  /** The health reason code (SW_EDGE_STREAM_STALLED, STREAM_OK...), null when no health event was seen. */
  readonly reason: string | null;
  /** Since when the camera has been in its reported state (its latest change). */
  readonly since: string | null;
  /**
   * Not heard from since then (its latest health event, heartbeats included, by event time),
   * longer ago than `screen.cameraStaleAfterSeconds`: the camera shows as offline whatever it last
   * reported (`reason` stays the last reported one). null when heard from recently or never.
   */
  readonly silentSince: string | null;
}
export interface CamerasFigure {
  /** Grids by name, cameras without a grid last (gridId null). */
  readonly grids: ReadonlyArray<{ gridId: string | null; cameras: CameraFigure[] }>;
  readonly totals: Record<CameraState, number>;
  /** Of the offline ones, how many only because nothing was heard from them (silentSince). */
  readonly silent: number;
}

export interface ViolationsFigure {
  readonly total: number;
  readonly byType: ReadonlyArray<{ type: string; count: number }>;
  readonly byGrid: ReadonlyArray<{ gridId: string | null; count: number }>;
  /** 24 counts, local hours 0-23. */
  readonly byHour: readonly number[];
}

export interface FlowsFigure {
  /** Count lines that reported today (camera and line pairs). */
  readonly lines: number;
  /** Today's crossings per counted class (person, vehicle, bicycle first), each direction. */
  readonly byClass: ReadonlyArray<{ objectClass: string; in: number; out: number }>;
  /** Per class, 24 counts (both directions), local hours 0-23. */
  readonly byHour: ReadonlyArray<{ objectClass: string; hours: number[] }>;
}

export interface DepartmentWorkOrders {
  /** null: every department together. */
  readonly departmentId: string | null;
  /** dispatched, signed, handled or verified. */
  readonly open: number;
  /** Open and past the deadline of their current step. */
  readonly overdue: number;
  /** Returned (退单) and not yet re-dispatched: waiting for the command centre. */
  readonly returned: number;
  /** Dispatched today (orders later re-dispatched to another department not counted: the new one is). */
  readonly dispatchedToday: number;
  /** Of those, closed already. */
  readonly closedOfToday: number;
  /** closedOfToday / dispatchedToday; null when nothing was dispatched today. */
  readonly closureRate: number | null;
  /** Orders closed today (whenever dispatched), and their median dispatch → close time in seconds. */
  readonly closedToday: number;
  readonly medianCloseSeconds: number | null;
}
export interface WorkOrdersFigure {
  readonly departments: DepartmentWorkOrders[];
  readonly total: DepartmentWorkOrders;
}

export interface ShopFigure {
  readonly shopId: string;
  readonly colour: 'red' | 'yellow';
  /** The score at the shop's latest colour change (the processor emits changes of colour). */
  readonly score: number;
  readonly since: string;
}

export interface TickerAlert {
  readonly alertId: string;
  readonly eventTime: string;
  readonly type: string;
  readonly severity: string;
  readonly title: string;
  readonly zoneId: string | null;
  readonly gridId: string | null;
  readonly shopId: string | null;
  readonly cameraIds: string[];
}

const OPEN = ['dispatched', 'signed', 'handled', 'verified'];
const ALL = [...OPEN, 'closed', 'returned'];

/** The local day (in `timeZone`) that contains `now`, as [start, end). */
export async function dayWindow(q: Queryable, now: Date, timeZone: string): Promise<DayWindow> {
  const r = await q.query<{ start: Date; end: Date }>(
    `SELECT (date_trunc('day', $1::timestamptz AT TIME ZONE $2) AT TIME ZONE $2) AS start,
            ((date_trunc('day', $1::timestamptz AT TIME ZONE $2) + interval '1 day') AT TIME ZONE $2) AS "end"`,
    [now, timeZone],
  );
  const row = r.rows[0] as { start: Date; end: Date };
  return { start: row.start, end: row.end };
}

/**
 * A camera's state from its latest health event. The health contract has `online`/`offline`; a
 * tampering detector (covered, moved, defocused lens) may report a `tampered` status or a reason
 * code naming tampering (`SW_EDGE_CAMERA_TAMPERED`...): both show as tampered, ahead of offline.
 */
export function cameraState(status: string | null, reason: string | null): CameraState {
  if (status === null) return 'unknown';
  if (status === 'tampered' || /TAMPER/i.test(reason ?? '')) return 'tampered';
  if (status === 'offline') return 'offline';
  if (status === 'online') return 'online';
  return 'unknown';
}

/**
 * Cameras by grid, with their state. Every camera with a health row (`camera_status`) or with
 * detections in the last `gridHours`; its grid is the one most of those detections named. A
 * camera whose latest health event (`last_seen`: a change or a heartbeat, by its event time, so a
 * heartbeat that waited in a gateway's outbox through an outage is old news when it arrives) is
 * older than `staleAfterSeconds` at `now` is offline, silent since then; only for cameras whose
 * gateway sends heartbeats (`camera_status.heartbeats`): a gateway from before them (during a
 * rollout, cloud first) reports changes only, and its cameras show what they last reported.
 */
export async function cameras(q: Queryable, now: Date, gridHours: number, staleAfterSeconds: number): Promise<CamerasFigure> {
  const r = await q.query<{ camera_id: string; grid_id: string | null; status: string | null; reason: string | null; since: Date | null; last_seen: Date | null; heartbeats: boolean | null }>(
    `WITH seen AS (
       SELECT DISTINCT ON (camera_id) camera_id, grid_id
       FROM detection_events
       WHERE event_time > $1::timestamptz - make_interval(hours => $2) AND event_time <= $1 AND grid_id IS NOT NULL
       GROUP BY camera_id, grid_id
       ORDER BY camera_id, count(*) DESC, grid_id)
     SELECT COALESCE(s.camera_id, g.camera_id) AS camera_id, g.grid_id, s.status, s.reason, s.since, s.last_seen, s.heartbeats
     FROM camera_status s FULL JOIN seen g ON g.camera_id = s.camera_id
     ORDER BY g.grid_id NULLS LAST, 1`,
    [now, gridHours],
  );
  const totals: Record<CameraState, number> = { online: 0, offline: 0, tampered: 0, unknown: 0 };
  let silent = 0;
  const grids = new Map<string | null, CameraFigure[]>();
  for (const row of r.rows) {
    const quiet = row.heartbeats === true && row.last_seen !== null && now.getTime() - row.last_seen.getTime() > staleAfterSeconds * 1000;
    const state = quiet ? 'offline' : cameraState(row.status, row.reason);
    totals[state]++;
    if (quiet) silent++;
    const list = grids.get(row.grid_id) ?? [];
    list.push({
      cameraId: row.camera_id,
      state,
      reason: row.reason,
      since: row.since ? row.since.toISOString() : null,
      silentSince: quiet && row.last_seen ? row.last_seen.toISOString() : null,
    });
    grids.set(row.grid_id, list);
  }
  return { grids: [...grids].map(([gridId, cams]) => ({ gridId, cameras: cams })), totals, silent };
}

/** Today's violations (their starts) by type, by grid and by local hour. */
export async function violationsToday(q: Queryable, day: DayWindow, timeZone: string): Promise<ViolationsFigure> {
  const r = await q.query<{ type: string; grid_id: string | null; hour: number; n: number }>(
    `SELECT type, grid_id, extract(hour FROM event_time AT TIME ZONE $3)::int AS hour, count(*)::int AS n
     FROM detection_events
     WHERE phase = 'start' AND event_time >= $1 AND event_time < $2
     GROUP BY 1, 2, 3`,
    [day.start, day.end, timeZone],
  );
  const byType = new Map<string, number>();
  const byGrid = new Map<string | null, number>();
  const byHour = Array.from({ length: 24 }, () => 0);
  let total = 0;
  for (const x of r.rows) {
    total += x.n;
    byType.set(x.type, (byType.get(x.type) ?? 0) + x.n);
    byGrid.set(x.grid_id, (byGrid.get(x.grid_id) ?? 0) + x.n);
    byHour[x.hour] = (byHour[x.hour] ?? 0) + x.n;
  }
  const desc = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  return {
    total,
    byType: desc(byType).map(([type, count]) => ({ type, count })),
    byGrid: desc(byGrid).map(([gridId, count]) => ({ gridId, count })),
    byHour,
  };
}

const FLOW_CLASS_ORDER = ['person', 'vehicle', 'bicycle'];

/**
 * Today's flows (people and vehicles crossing count lines) by class and direction and by local
 * hour, from the processor's hourly rollup `flow_counts_hourly` (upserted with every minute the
 * gateways send, so it is current; its buckets are UTC hours, which are local hours in every
 * whole-hour time zone such as Asia/Shanghai).
 */
export async function flowsToday(q: Queryable, day: DayWindow, timeZone: string): Promise<FlowsFigure> {
  const r = await q.query<{ object_class: string; direction: string; hour: number; n: number; lines: number }>(
    `SELECT object_class, direction, extract(hour FROM bucket AT TIME ZONE $3)::int AS hour, sum(count)::int AS n,
            (SELECT count(DISTINCT (camera_id, line_id))::int FROM flow_counts_hourly WHERE bucket >= $1 AND bucket < $2) AS lines
     FROM flow_counts_hourly
     WHERE bucket >= $1 AND bucket < $2
     GROUP BY 1, 2, 3`,
    [day.start, day.end, timeZone],
  );
  const classes = new Map<string, { in: number; out: number; hours: number[] }>();
  for (const x of r.rows) {
    let c = classes.get(x.object_class);
    if (!c) classes.set(x.object_class, (c = { in: 0, out: 0, hours: Array.from({ length: 24 }, () => 0) }));
    if (x.direction === 'in') c.in += x.n;
    else c.out += x.n;
    c.hours[x.hour] = (c.hours[x.hour] ?? 0) + x.n;
  }
  const rank = (k: string) => (FLOW_CLASS_ORDER.includes(k) ? FLOW_CLASS_ORDER.indexOf(k) : FLOW_CLASS_ORDER.length);
  const order = [...classes.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return {
    lines: r.rows[0]?.lines ?? 0,
    byClass: order.map((k) => ({ objectClass: k, in: classes.get(k)?.in ?? 0, out: classes.get(k)?.out ?? 0 })),
    byHour: order.map((k) => ({ objectClass: k, hours: classes.get(k)?.hours ?? [] })),
  };
}

/**
 * Work orders per department (and all together): open, overdue, returned; today's closure rate and
 * median time to close. Reads only the candidate rows through the status/dispatch-time and
 * finished-order indexes, not the whole (two-year) table.
 */
export async function workOrders(q: Queryable, now: Date, day: DayWindow, departments: readonly string[]): Promise<WorkOrdersFigure> {
  const r = await q.query<{
    department_id: string | null;
    is_total: boolean;
    open: number;
    overdue: number;
    returned: number;
    dispatched_today: number;
    closed_of_today: number;
    closed_today: number;
    median_close_s: number | null;
  }>(
    `WITH cand AS (
       SELECT id FROM work_orders WHERE status = ANY($4::text[])
       UNION SELECT id FROM work_orders WHERE status = ANY($5::text[]) AND dispatched_at >= $2 AND dispatched_at < $3
       UNION SELECT id FROM work_orders WHERE status IN ('closed', 'returned') AND updated_at >= $2 AND closed_at >= $2 AND closed_at < $3)
     SELECT w.department_id, GROUPING(w.department_id) = 1 AS is_total,
       count(*) FILTER (WHERE w.status = ANY($4::text[]))::int AS open,
       count(*) FILTER (WHERE w.status = ANY($4::text[]) AND w.deadline_at < $1)::int AS overdue,
       count(*) FILTER (WHERE w.status = 'returned' AND w.redispatched_to IS NULL)::int AS returned,
       count(*) FILTER (WHERE w.dispatched_at >= $2 AND w.dispatched_at < $3 AND w.redispatched_to IS NULL)::int AS dispatched_today,
       count(*) FILTER (WHERE w.dispatched_at >= $2 AND w.dispatched_at < $3 AND w.redispatched_to IS NULL AND w.status = 'closed')::int AS closed_of_today,
       count(*) FILTER (WHERE w.closed_at >= $2 AND w.closed_at < $3)::int AS closed_today,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM w.closed_at - w.dispatched_at))
         FILTER (WHERE w.closed_at >= $2 AND w.closed_at < $3) AS median_close_s
     FROM work_orders w JOIN cand USING (id)
     GROUP BY GROUPING SETS ((w.department_id), ())`,
    [now, day.start, day.end, OPEN, ALL],
  );
  const of = (x: (typeof r.rows)[number] | undefined, departmentId: string | null): DepartmentWorkOrders => ({
    departmentId,
    open: x?.open ?? 0,
    overdue: x?.overdue ?? 0,
    returned: x?.returned ?? 0,
    dispatchedToday: x?.dispatched_today ?? 0,
    closedOfToday: x?.closed_of_today ?? 0,
    closureRate: x && x.dispatched_today > 0 ? x.closed_of_today / x.dispatched_today : null,
    closedToday: x?.closed_today ?? 0,
    medianCloseSeconds: x?.median_close_s === null || x?.median_close_s === undefined ? null : Math.round(Number(x.median_close_s)),
  });
  const grand = r.rows.find((x) => x.is_total);
  const byDept = new Map(r.rows.filter((x) => !x.is_total).map((x) => [x.department_id as string, x]));
  const ids = [...new Set([...departments, ...byDept.keys()])];
  return { departments: ids.map((id) => of(byDept.get(id), id)), total: of(grand, null) };
}

/** Shops whose latest colour is red or yellow, red first, then by score (higher is worse). */
export async function shopsAtRisk(q: Queryable, limit: number): Promise<ShopFigure[]> {
  const r = await q.query<{ shop_id: string; colour: 'red' | 'yellow'; score: number; event_time: Date }>(
    `SELECT shop_id, colour, score, event_time FROM (
       SELECT DISTINCT ON (shop_id) shop_id, colour, score, event_time
       FROM shop_score_changes ORDER BY shop_id, event_time DESC, event_id DESC) latest
     WHERE colour IN ('red', 'yellow')
     ORDER BY colour = 'red' DESC, score DESC, shop_id
     LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => ({ shopId: x.shop_id, colour: x.colour, score: Number(x.score), since: x.event_time.toISOString() }));
}

/** The newest alerts of the last 24 hours (history sink), newest first. */
export async function recentAlerts(q: Queryable, now: Date, limit: number): Promise<TickerAlert[]> {
  const r = await q.query<{
    alert_id: string;
    event_time: Date;
    type: string;
    severity: string;
    title: string;
    zone_id: string | null;
    grid_id: string | null;
    shop_id: string | null;
    camera_ids: string[];
  }>(
    `SELECT alert_id, event_time, type, severity, title, zone_id, grid_id, shop_id, camera_ids
     FROM alerts WHERE event_time > $1::timestamptz - interval '24 hours' AND event_time <= $1
     ORDER BY event_time DESC, alert_id DESC LIMIT $2`,
    [now, limit],
  );
  return r.rows.map((x) => ({
    alertId: x.alert_id,
    eventTime: x.event_time.toISOString(),
    type: x.type,
    severity: x.severity,
    title: x.title,
    zoneId: x.zone_id,
    gridId: x.grid_id,
    shopId: x.shop_id,
    cameraIds: x.camera_ids,
  }));
}
