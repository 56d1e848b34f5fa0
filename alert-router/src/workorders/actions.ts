import type { Clock, PoolClient } from '@streetwatch/platform';
import { attachKeptEnds, lockViolations } from './clearance.js';
import { stepDeadline } from './deadlines.js';
import type { WorkOrdersConfig } from './config.js';
import { WorkOrderError } from './errors.js';
import type { WorkOrderMetrics } from './metrics.js';
import type { Actor, Emit, User, WorkOrderRow } from './model.js';
import { checkPhoto, type IncomingPhoto, type PhotoStore, type StoredPhoto } from './photos.js';
import { canTransition, deadlineStepFor, roleMay, RULES, type UserAction } from './states.js';
import { insertDispatched, lockWorkOrder, workOrderIdFor, writeDispatchEvent, writeTransition, type TransitionWrite } from './store.js';

/**
 * What an action needs of the work-order service (WorkOrders implements it; declared here, below
 * service.ts, which calls performAction).
 */
export interface ActionHost {
  readonly config: WorkOrdersConfig;
  readonly clock: Clock;
  readonly metrics: WorkOrderMetrics;
  readonly photos: PhotoStore;
  tx<T>(fn: (c: PoolClient, emit: Emit) => Promise<T>): Promise<T>;
  visible(user: User, row: WorkOrderRow | null, id: string): WorkOrderRow;
  timeOfDay(d: Date): string;
  actorOf(user: User): Actor;
}

/** What the API passes for an action (each action reads the fields it needs). */
export interface ActionInput {
  readonly note?: string;
  readonly reason?: string;
  readonly feedback?: string;
  readonly photos?: readonly IncomingPhoto[];
  readonly departmentId?: string;
  readonly duplicateOf?: string;
  /**
   * The client's `Idempotency-Key`: the first request with it that commits applies the action; a
   * replay (same user, order and action) applies nothing and reports `replayed`.
   */
  readonly idempotencyKey?: string;
}

/** What performAction did: applied the action, or found its idempotency key already applied. */
export interface ActionOutcome {
  readonly replayed: boolean;
}

const required = (value: string | undefined, field: string, why: string): string => {
  const v = value?.trim();
  if (!v) throw new WorkOrderError('SW_ROUTER_INVALID_INPUT', `${field} is required ${why}`, { fields: [{ path: `body/${field}`, message: `is required ${why}` }] });
  return v;
};

/**
 * One lifecycle action by a user, in one transaction: visibility (other departments' orders are
 * NOT_FOUND), role, allowed transition, then the write. Photos are written to disk inside the
 * transaction and removed again if it rolls back.
 */
export async function performAction(wo: ActionHost, user: User, id: string, action: UserAction, input: ActionInput): Promise<ActionOutcome> {
  const photos = (input.photos ?? []).map((p) => ({ p, type: checkPhoto(p, wo.config.uploads.allowedTypes) }));
  const saved: StoredPhoto[] = [];
  try {
    return await wo.tx(async (c, emit): Promise<ActionOutcome> => {
      const row = wo.visible(user, await lockWorkOrder(c, id), id);
      // The order's row lock serialises requests with one key on one order: a replay waiting here
      // sees the first one's key once it committed.
      if (input.idempotencyKey && (await priorRequest(c, input.idempotencyKey, user, id, action))) return { replayed: true };
      if (!roleMay(action, user.role)) {
        throw new WorkOrderError('SW_ROUTER_WO_ROLE_FORBIDDEN', `role ${user.role} may not ${action} (allowed: ${RULES[action].roles.join(', ')})`, {
          details: { action, role: user.role },
        });
      }
      if (!canTransition(action, row.status)) {
        throw new WorkOrderError(
          'SW_ROUTER_WO_INVALID_TRANSITION',
          `cannot ${action} a work order that is ${row.status} (allowed from: ${RULES[action].from.join(', ')})`,
          { details: { action, status: row.status, allowedFrom: RULES[action].from } },
        );
      }
      const at = new Date(wo.clock.now());
      const actor = wo.actorOf(user);
      const rule = RULES[action];
      const nextDeadline = (): TransitionWrite['deadline'] => {
        const step = deadlineStepFor(rule.to);
        const when = step ? stepDeadline(wo.config, row.type, step, at) : null;
        return step && when ? { step, at: when } : null;
      };
      const base = { action: rule.event, to: rule.to, actor, at };
      let write: TransitionWrite;
      switch (action) {
        case 'sign':
          write = { ...base, note: input.note, set: { signed_at: at, signed_by: user.id }, deadline: nextDeadline() };
          wo.metrics.timeToSign.observe({ department: row.department_id, type: row.type }, (at.getTime() - row.dispatched_at.getTime()) / 1000);
          break;
        case 'handle':
        case 'feedback': {
          const text = required(input.feedback, 'feedback', `to ${action}`);
          write = {
            ...base,
            note: text,
            set: action === 'handle' ? { handled_at: at, handled_by: user.id, feedback: text } : { feedback: text },
            ...(action === 'handle' ? { deadline: nextDeadline() } : {}),
          };
          break;
        }
        case 'verify':
          write = { ...base, note: input.note, set: { verified_at: at, verified_by: user.id }, deadline: nextDeadline() };
          break;
        case 'reject':
          write = { ...base, note: `核查不通过 rejected: ${required(input.note, 'note', 'when verification is rejected')}`, deadline: nextDeadline() };
          break;
        case 'close':
          write = { ...base, note: input.note, set: { closed_at: at, closed_by: user.id, resolution: 'resolved' }, deadline: null };
          wo.metrics.timeToClose.observe({ department: row.department_id, type: row.type }, (at.getTime() - row.dispatched_at.getTime()) / 1000);
          break;
        case 'return': {
          const reason = required(input.reason, 'reason', 'to return (退单) a work order');
          write = { ...base, note: reason, set: { return_reason: reason }, deadline: null };
          break;
        }
        case 'redispatch': {
          const seq = await redispatch(wo, c, emit, row, user, at, input);
          await recordRequest(c, input.idempotencyKey, id, action, user, seq, at);
          return { replayed: false };
        }
        case 'mark_false_positive':
        case 'mark_duplicate':
          write = await markAlert(wo, c, row, user, at, action, input);
          break;
      }
      const { event, row: after } = await writeTransition(c, row, write);
      for (const { p, type } of photos) {
        const s = await wo.photos.save(id, p, type);
        saved.push(s);
        await c.query(
          `INSERT INTO work_order_photos (id, work_order_id, file_name, content_type, bytes, sha256, uploaded_by, history_seq, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [s.id, id, s.fileName, s.contentType, s.bytes, s.sha256, user.id, after.version, at],
        );
      }
      await recordRequest(c, input.idempotencyKey, id, action, user, after.version, at);
      emit(event, after);
      return { replayed: false };
    });
  } catch (err) {
    await Promise.all(saved.map((s) => wo.photos.remove(id, s.fileName)));
    throw err;
  }
}

/**
 * Whether this key was already applied. The same key for another user, order or action is an
 * error (a client bug or a guessed key), never a silent replay.
 */
async function priorRequest(c: PoolClient, key: string, user: User, id: string, action: UserAction): Promise<boolean> {
  const r = await c.query<{ work_order_id: string; action: string; user_id: string }>(
    'SELECT work_order_id, action, user_id FROM work_order_requests WHERE idempotency_key = $1',
    [key],
  );
  const prior = r.rows[0];
  if (!prior) return false;
  if (prior.work_order_id !== id || prior.action !== action || prior.user_id !== user.id) {
    throw new WorkOrderError('SW_ROUTER_IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for another request; use a new key per action', {
      fields: [{ path: 'headers/idempotency-key', message: 'already used for another action, work order or user' }],
    });
  }
  return true;
}

async function recordRequest(c: PoolClient, key: string | undefined, id: string, action: UserAction, user: User, seq: number | null, at: Date): Promise<void> {
  if (!key) return;
  // A concurrent first use of this key on ANOTHER order (not serialised by the row lock) loses here.
  const r = await c.query(
    `INSERT INTO work_order_requests (idempotency_key, work_order_id, action, user_id, history_seq, at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING`,
    [key, id, action, user.id, seq, at],
  );
  if (!r.rowCount) {
    throw new WorkOrderError('SW_ROUTER_IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for another request; use a new key per action', {
      fields: [{ path: 'headers/idempotency-key', message: 'already used for another request' }],
    });
  }
}

async function markAlert(
  wo: ActionHost,
  c: PoolClient,
  row: WorkOrderRow,
  user: User,
  at: Date,
  action: 'mark_false_positive' | 'mark_duplicate',
  input: ActionInput,
): Promise<TransitionWrite> {
  const kind = action === 'mark_false_positive' ? 'false_positive' : 'duplicate';
  const r = await c.query(
    `INSERT INTO alert_feedback (alert_id, kind, duplicate_of, work_order_id, department_id, type, zone_id, camera_ids, note, actor_id, at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (alert_id) DO NOTHING`,
    [row.alert_id, kind, input.duplicateOf ?? null, row.id, row.department_id, row.type, row.zone_id, row.camera_ids, input.note ?? null, user.id, at],
  );
  if (r.rowCount) {
    for (const camera of row.camera_ids) wo.metrics.alertFeedback.inc({ kind, type: row.type, zone: row.zone_id ?? '', camera });
  }
  const dup = input.duplicateOf ? ` of ${input.duplicateOf}` : '';
  const note = `${kind === 'false_positive' ? '误报 false positive' : `重复 duplicate${dup}`}${input.note ? `: ${input.note}` : ''}`;
  return {
    action: RULES[action].event,
    to: 'closed',
    actor: wo.actorOf(user),
    at,
    note,
    set: { closed_at: at, closed_by: user.id, resolution: kind },
    deadline: null,
  };
}

/** 重新派遣: back to the same department, or a new work order in another one. */
async function redispatch(wo: ActionHost, c: PoolClient, emit: Emit, row: WorkOrderRow, user: User, at: Date, input: ActionInput): Promise<number | null> {
  const departmentId = required(input.departmentId, 'departmentId', 'to re-dispatch');
  const known = new Set([...wo.config.departments.map((d) => d.id), ...wo.config.users.map((u) => u.departmentId)]);
  if (!known.has(departmentId)) {
    throw new WorkOrderError('SW_ROUTER_WO_UNKNOWN_DEPARTMENT', `department ${departmentId} is not configured`, {
      fields: [{ path: 'body/departmentId', message: 'is not a configured department' }],
    });
  }
  const note = `re-dispatched by ${user.id}${input.note ? `: ${input.note}` : ''} (returned: ${row.return_reason ?? ''})`;
  if (departmentId === row.department_id) {
    const when = stepDeadline(wo.config, row.type, 'sign', at);
    const { event, row: after } = await writeTransition(c, row, {
      action: 'dispatched',
      to: 'dispatched',
      actor: wo.actorOf(user),
      at,
      note,
      set: { return_reason: null, signed_at: null, signed_by: null },
      deadline: when ? { step: 'sign', at: when } : null,
    });
    emit(event, after);
    return after.version;
  }
  const newId = workOrderIdFor(row.alert_id, departmentId);
  await lockViolations(c, row.violation_ids);
  const created = await insertDispatched(c, {
    id: newId,
    alert: row.alert,
    departmentId,
    at,
    deadline: stepDeadline(wo.config, row.type, 'sign', at),
    redispatchedFrom: row.id,
  });
  if (!created) {
    throw new WorkOrderError('SW_ROUTER_WO_INVALID_TRANSITION', `department ${departmentId} already has a work order for alert ${row.alert_id}`, {
      details: { existing: newId },
    });
  }
  await c.query('UPDATE work_orders SET redispatched_to = $2 WHERE id = $1', [row.id, newId]);
  const { event, row: after } = await writeDispatchEvent(c, created, wo.actorOf(user), at, `${note} from ${row.department_id} (${row.id})`);
  wo.metrics.dispatched.inc({ department: departmentId, type: row.type });
  emit(event, after);
  await attachKeptEnds(c, emit, after, at, (d) => wo.timeOfDay(d));
  return null; // the transition is the new order's dispatch; the key stays with the returned one
}
