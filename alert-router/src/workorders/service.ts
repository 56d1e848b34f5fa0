import { inTransaction, type ContractProducer, type Logger, type Pool, type PoolClient, type Registry } from '@streetwatch/platform';
import type { Alert, EvidenceRef, WorkOrderEvent, WorkOrderStatus } from '@streetwatch/schemas';
import { ConsoleFanout } from './fanout.js';
import { ConsoleHub } from './feed.js';
import type { ConsoleFeed, Notifier, WorkOrderRef, WorkOrderService } from '../seams.js';
import { performAction, type ActionInput } from './actions.js';
import { attachEnd, attachKeptEnds, lockViolations, readViolationEnds, recordViolationEnd } from './clearance.js';
import { systemClock, type Clock } from '@streetwatch/platform';
import type { WorkOrdersConfig } from './config.js';
import { stepDeadline } from './deadlines.js';
import { WorkOrderError } from './errors.js';
import { Escalator } from './escalator.js';
import { workOrderMetrics, type WorkOrderMetrics } from './metrics.js';
import {
  SYSTEM,
  toDetail,
  toSummary,
  type Actor,
  type Emit,
  type User,
  type WorkOrderDetail,
  type WorkOrderRow,
  type WorkOrderSummary,
} from './model.js';
import { OutboxDrainer } from './outbox.js';
import { PhotoStore } from './photos.js';
import { allowedActions, OPEN_STATUSES, type UserAction } from './states.js';
import {
  insertDispatchedMany,
  listWorkOrders,
  readEscalations,
  readHistory,
  readPhotos,
  readWorkOrder,
  workOrderIdFor,
  writeDispatchEvents,
  type DispatchInsert,
} from './store.js';

export interface WorkOrderServiceDeps {
  readonly pool: Pool;
  /** Shared with the delivery half; started here if not yet (start() is idempotent). */
  readonly producer: ContractProducer;
  /** Sends escalation notices through the department's channels (delivery half). */
  readonly notifier: Notifier;
  readonly registry: Registry;
  readonly log: Logger;
  readonly clock?: Clock;
  /** Environment for `users[].tokenEnv` (main.ts passes process.env; nothing else reads it). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export type { Emit } from './model.js';

/**
 * Work orders: dispatch (idempotent per alert + department), the lifecycle actions, deadlines and
 * escalation, clearance evidence, and the console feed. Implements the seam's WorkOrderService;
 * `feed` is the seam's ConsoleFeed.
 */
export class WorkOrders implements WorkOrderService {
  readonly config: WorkOrdersConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly pool: Pool;
  readonly metrics: WorkOrderMetrics;
  readonly photos: PhotoStore;
  readonly hub: ConsoleHub;
  readonly env: Readonly<Record<string, string | undefined>>;
  private readonly deps: WorkOrderServiceDeps;
  private readonly outbox: OutboxDrainer;
  private readonly escalator: Escalator;
  private readonly fanout: ConsoleFanout | undefined;
  private started = false;
  private closed = false;

  constructor(config: WorkOrdersConfig, deps: WorkOrderServiceDeps) {
    this.config = config;
    this.deps = deps;
    this.pool = deps.pool;
    this.clock = deps.clock ?? systemClock;
    this.log = deps.log.child({ component: 'work-orders' });
    this.env = deps.env ?? {};
    this.metrics = workOrderMetrics(deps.registry);
    this.photos = new PhotoStore(config.uploads.dir);
    this.hub = new ConsoleHub({ log: this.log, load: (id) => this.summary(id) });
    this.fanout =
      config.console.enabled && config.console.crossInstance ? new ConsoleFanout({ pool: deps.pool, hub: this.hub, log: this.log }) : undefined;
    this.outbox = new OutboxDrainer(config.outbox, { pool: deps.pool, producer: deps.producer, log: this.log, metrics: this.metrics });
    this.escalator = new Escalator(config, {
      pool: deps.pool,
      notifier: deps.notifier,
      log: this.log,
      metrics: this.metrics,
      clock: this.clock,
      transaction: (fn) => this.tx(fn),
    });
  }

  /**
   * The seam's ConsoleFeed (the delivery half may publish to it too; events are deduped by
   * eventId); announced to the other router instances' consoles as well.
   */
  get feed(): ConsoleFeed {
    return {
      publish: (departmentId, event) => {
        this.hub.publish(departmentId, event);
        this.fanout?.announce([{ departmentId, event }]);
      },
    };
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.deps.producer.start();
    await this.fanout?.start();
    this.outbox.start();
    this.escalator.start();
  }

  /** Stop the timers, produce what is still in the outbox (best effort), end console streams. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.escalator.close();
    await this.outbox.close();
    if (this.started) await this.outbox.flush().catch((err) => this.log.warn({ err }, 'outbox not empty at close; drained on next start'));
    await this.fanout?.close();
    this.hub.closeAll();
  }

  /** Run `fn` in a transaction; after COMMIT, push its events to the console and wake the outbox. */
  async tx<T>(fn: (c: PoolClient, emit: Emit) => Promise<T>): Promise<T> {
    const emitted: Array<{ event: WorkOrderEvent; row: WorkOrderRow }> = [];
    const out = await inTransaction(this.pool, (c) => fn(c, (event, row) => emitted.push({ event, row })));
    for (const { event, row } of emitted) {
      this.metrics.transitions.inc({ department: row.department_id, action: event.action });
      this.hub.publishResolved(row.department_id, event, toSummary(row));
    }
    if (emitted.length) {
      this.outbox.kick();
      this.fanout?.announce(emitted.map(({ event, row }) => ({ departmentId: row.department_id, event })));
    }
    return out;
  }

  // ---- the seam -------------------------------------------------------------------------------

  async dispatch(alert: Alert, departmentId: string, opts: { deadline?: Date } = {}): Promise<WorkOrderRef> {
    return (await this.dispatchMany([{ alert, departmentId, ...opts }]))[0] as WorkOrderRef;
  }

  /**
   * Create the work orders of several (alert, department) pairs, each once, in ONE transaction of a
   * few statements whatever their number (a flush dispatches a whole batch of groups: one
   * transaction of eight statements per alert was most of the router's cost per alert). Returns the
   * refs in the order of `items`.
   */
  async dispatchMany(items: ReadonlyArray<{ alert: Alert; departmentId: string; deadline?: Date }>): Promise<WorkOrderRef[]> {
    if (items.length === 0) return [];
    return this.tx(async (c, emit) => {
      // Before the insert: an end of one of these violations committing meanwhile is then seen below.
      const violations = [...new Set(items.flatMap((i) => i.alert.violationIds))];
      await lockViolations(c, violations);
      const at = new Date(this.clock.now());
      const ids = items.map((i) => workOrderIdFor(i.alert.alertId, i.departmentId));
      const wanted = new Map<string, DispatchInsert>();
      for (const [k, i] of items.entries()) {
        const id = ids[k] as string;
        if (!wanted.has(id)) {
          wanted.set(id, { id, alert: i.alert, departmentId: i.departmentId, at, deadline: i.deadline ?? stepDeadline(this.config, i.alert.type, 'sign', at) });
        }
      }
      const refs = new Map<string, WorkOrderRef>();
      const inserted = await insertDispatchedMany(c, [...wanted.values()]);
      // Violations that ended before these work orders existed: "cleared at" from the kept ends.
      const kept = inserted.some((r) => r.violation_ids.length > 0) ? await readViolationEnds(c, [...new Set(inserted.flatMap((r) => r.violation_ids))]) : [];
      for (const { event, row: after } of await writeDispatchEvents(c, inserted, SYSTEM, at)) {
        emit(event, after);
        const done = kept.length > 0 ? await attachKeptEnds(c, emit, after, at, (d) => this.timeOfDay(d), kept) : { row: after, attached: 0 };
        this.metrics.dispatched.inc({ department: after.department_id, type: after.type });
        this.log.info(
          { alertId: after.alert_id, workOrderId: after.id, departmentId: after.department_id, clearedAtDispatch: done.attached || undefined },
          'work order dispatched',
        );
        refs.set(after.id, { workOrderId: after.id, departmentId: after.department_id, alertId: after.alert_id, status: done.row.status, created: true });
      }
      const existing = [...wanted.keys()].filter((id) => !refs.has(id));
      if (existing.length > 0) {
        const r = await c.query<WorkOrderRow>('SELECT * FROM work_orders WHERE id = ANY($1::text[])', [existing]);
        for (const row of r.rows) {
          refs.set(row.id, { workOrderId: row.id, departmentId: row.department_id, alertId: row.alert_id, status: row.status, created: false });
        }
      }
      return items.map((i, k) => {
        const ref = refs.get(ids[k] as string);
        if (!ref) throw new WorkOrderError('SW_ROUTER_INTERNAL', `work order for ${i.alert.alertId}/${i.departmentId} vanished`);
        return ref;
      });
    });
  }

  /**
   * A violation ended: keep the end (for work orders created later) and attach it to the open work
   * orders of that violation now. Returns how many work orders it was attached to.
   */
  async attachClearance(violationId: string, clearedAt: Date): Promise<number> {
    return this.tx(async (c, emit) => {
      await lockViolations(c, [violationId]);
      const at = new Date(this.clock.now());
      await recordViolationEnd(c, violationId, clearedAt, at);
      const rows = await c.query<WorkOrderRow>(
        `SELECT * FROM work_orders WHERE violation_ids @> ARRAY[$1]::text[] AND status = ANY($2)
           AND NOT (cleared_violation_ids @> ARRAY[$1]::text[]) ORDER BY id FOR UPDATE`,
        [violationId, OPEN_STATUSES],
      );
      for (const wo of rows.rows) await attachEnd(c, emit, wo, violationId, clearedAt, at, (d) => this.timeOfDay(d));
      return rows.rows.length;
    });
  }

  // ---- user actions -------------------------------------------------------------------------

  /** A work order this user may see, or NOT_FOUND (also for other departments' orders: no leak). */
  visible(user: User, row: WorkOrderRow | null, id: string): WorkOrderRow {
    if (!row || (user.role !== 'supervisor' && row.department_id !== user.departmentId)) {
      throw new WorkOrderError('SW_ROUTER_WO_NOT_FOUND', `work order ${id} not found`);
    }
    return row;
  }

  /** Evidence picture `index` of a work order this user may see (NOT_FOUND otherwise, no leak). */
  async evidenceOf(user: User, id: string, index: number): Promise<{ departmentId: string; evidence: EvidenceRef }> {
    const row = this.visible(user, await readWorkOrder(this.pool, id), id);
    const evidence = row.alert.evidence[index];
    if (evidence === undefined) throw new WorkOrderError('SW_ROUTER_EVIDENCE_NOT_FOUND', `work order ${id} has no picture ${index}`);
    return { departmentId: row.department_id, evidence };
  }

  async list(
    user: User,
    q: { status?: WorkOrderStatus | 'open' | 'all'; departmentId?: string; limit: number; offset: number },
  ): Promise<{ items: WorkOrderSummary[]; total: number }> {
    const departmentId = user.role === 'supervisor' ? q.departmentId : user.departmentId;
    const status = q.status ?? 'open';
    const statuses: readonly WorkOrderStatus[] | undefined =
      status === 'all' ? undefined : status === 'open' ? this.openStatusesFor(user) : [status];
    const r = await listWorkOrders(this.pool, { departmentId, statuses, hideRedispatched: status === 'open', limit: q.limit, offset: q.offset });
    return { items: r.rows.map((row) => this.forViewer(user, toSummary(row))), total: r.total };
  }

  /** What counts as "open" for this user: supervisors also see returned orders (they re-dispatch them). */
  openStatusesFor(user: User): readonly WorkOrderStatus[] {
    return user.role === 'supervisor' ? [...OPEN_STATUSES, 'returned'] : OPEN_STATUSES;
  }

  async get(user: User, id: string): Promise<WorkOrderDetail> {
    const row = this.visible(user, await readWorkOrder(this.pool, id), id);
    const [history, photos, escalations] = await Promise.all([
      readHistory(this.pool, id),
      readPhotos(this.pool, id),
      readEscalations(this.pool, id),
    ]);
    return this.forViewer(user, toDetail(row, history, photos, escalations));
  }

  async act(user: User, id: string, action: UserAction, input: ActionInput = {}): Promise<WorkOrderDetail> {
    return (await this.actOnce(user, id, action, input)).order;
  }

  /** act(), also telling whether the request was a replay of an already applied Idempotency-Key. */
  async actOnce(user: User, id: string, action: UserAction, input: ActionInput = {}): Promise<{ order: WorkOrderDetail; replayed: boolean }> {
    const { replayed } = await performAction(this, user, id, action, input);
    return { order: await this.get(user, id), replayed };
  }

  /** A photo file of a visible work order: where it is on disk and its type. */
  async photo(user: User, id: string, photoId: string): Promise<{ path: string; contentType: string; bytes: number }> {
    this.visible(user, await readWorkOrder(this.pool, id), id);
    const r = await this.pool.query<{ file_name: string; content_type: string; bytes: number }>(
      'SELECT file_name, content_type, bytes FROM work_order_photos WHERE id = $1 AND work_order_id = $2',
      [photoId, id],
    );
    const p = r.rows[0];
    if (!p) throw new WorkOrderError('SW_ROUTER_WO_NOT_FOUND', `photo ${photoId} not found`);
    return { path: this.photos.path(id, p.file_name), contentType: p.content_type, bytes: p.bytes };
  }

  /**
   * Precision per zone and camera (false positives / duplicates marked by dispatchers): over every
   * alert, or over the alerts that reached `departmentId` (a work order there), with every
   * department's marks on them (a mark is about the alert, not the order).
   */
  async precision(departmentId?: string): Promise<
    Array<{ zoneId: string; cameraId: string; type: string; alerts: number; falsePositives: number; duplicates: number; precision: number }>
  > {
    const r = departmentId === undefined
      ? await this.pool.query(
          'SELECT zone_id, camera_id, type, alerts, false_positives, duplicates, precision FROM alert_precision ORDER BY zone_id, camera_id, type',
        )
      : await this.pool.query(
          `WITH alerts AS (
             SELECT DISTINCT ON (alert_id) alert_id, type, coalesce(zone_id, '') AS zone_id, camera_ids
             FROM work_orders WHERE department_id = $1 ORDER BY alert_id, dispatched_at
           ), per_camera AS (
             SELECT a.alert_id, a.type, a.zone_id, cam AS camera_id FROM alerts a, unnest(a.camera_ids) AS cam
           )
           SELECT p.zone_id, p.camera_id, p.type,
                  count(*)::integer AS alerts,
                  (count(*) FILTER (WHERE f.kind = 'false_positive'))::integer AS false_positives,
                  (count(*) FILTER (WHERE f.kind = 'duplicate'))::integer AS duplicates,
                  1.0 - (count(*) FILTER (WHERE f.kind = 'false_positive'))::float8 / count(*) AS precision
           FROM per_camera p LEFT JOIN alert_feedback f USING (alert_id)
           GROUP BY p.zone_id, p.camera_id, p.type ORDER BY p.zone_id, p.camera_id, p.type`,
          [departmentId],
        );
    return r.rows.map((x) => ({
      zoneId: x.zone_id,
      cameraId: x.camera_id,
      type: x.type,
      alerts: x.alerts,
      falsePositives: x.false_positives,
      duplicates: x.duplicates,
      precision: Number(x.precision),
    }));
  }

  async summary(id: string): Promise<WorkOrderSummary | null> {
    const row = await readWorkOrder(this.pool, id);
    return row ? toSummary(row) : null;
  }

  forViewer<T extends WorkOrderSummary>(user: User, s: T): T {
    return { ...s, actions: allowedActions(s.status, user.role) };
  }

  /** Run one escalation pass now (the timer does this every tickIntervalMs; tests call it). */
  runEscalations(): Promise<{ fired: number; notified: number }> {
    return this.escalator.runOnce();
  }

  /** Produce everything in the outbox now (tests, shutdown). */
  flushOutbox(): Promise<void> {
    return this.outbox.flush();
  }

  timeOfDay(d: Date): string {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: this.config.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(d);
  }

  actorOf(user: User): Actor {
    return { kind: 'user', user };
  }
}
