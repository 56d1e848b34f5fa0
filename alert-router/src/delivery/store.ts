/**
 * The durable delivery queue in PostgreSQL. A row is the INTENT to deliver one notification on one
 * channel, keyed by its idempotency key, written before any provider is called. Claiming a row
 * marks it `inflight` with a lease and records an `intent` attempt; the outcome is recorded after
 * the call (guarded by state + attempt number, so a late outcome never overwrites a recovery).
 * Every attempt row carries its `Delivery` event for the outbox (see events.ts).
 *
 * What a notification says is a row of its own (router_notifications, written once with its first
 * deliveries): the channels of one flush, and a fallback, name the same one. Delivery rows stay
 * narrow, so their state changes do not rewrite the message (migration 305).
 */
import { createHash } from 'node:crypto';
import { iso, type Pool, type PoolClient } from '@streetwatch/platform';
import type { Delivery } from '@streetwatch/schemas';
import type { Notification } from '../channels/types.js';
import { deliveryEvent } from './events.js';
import type { ClaimedDelivery, DeliveryState, NewDelivery, Outcome, OutcomeRecord } from './types.js';

export type { ClaimedDelivery, DeliveryState, NewDelivery, Outcome, OutcomeRecord } from './types.js';

/** Idempotency keys are short and printable so every provider field can carry them (OutId, SessionContext). */
export function deliveryKey(...parts: string[]): string {
  return `dk-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40)}`;
}


interface Row {
  idempotency_key: string;
  notification_key: string;
  delivery_id: string;
  alert_id: string;
  department_id: string;
  work_order_id: string | null;
  channel_name: string;
  channel_type: string;
  target: string;
  /** Null when the notification is missing (not expected: see claimMany). */
  message: Notification | null;
  attempts: number;
  uncertain: boolean;
}

const toClaimed = (r: Row): ClaimedDelivery => ({
  key: r.idempotency_key,
  notificationKey: r.notification_key,
  deliveryId: r.delivery_id,
  alertId: r.alert_id,
  departmentId: r.department_id,
  workOrderId: r.work_order_id,
  channelName: r.channel_name,
  channelType: r.channel_type,
  target: r.target,
  message: r.message,
  attempts: r.attempts,
  uncertain: r.uncertain,
});

async function insertAttempts(
  c: PoolClient | Pool,
  items: ReadonlyArray<{ key: string; attempt: number; outcome: Outcome; event: Delivery; at: number }>,
): Promise<void> {
  if (items.length === 0) return;
  await c.query(insertAttemptsSql('$1'), [attemptsParam(items)]);
}

/**
 * The INSERT of intents (idempotent on the key, RETURNING the new keys), reading its rows from the
 * jsonb parameter `param` (see intentsParam): usable alone or as a data-modifying CTE. A row given
 * a lease is inserted already claimed (`inflight`, attempt 1): the caller sends it itself once this
 * committed, and writes its `intent` attempt row in the same statement (see claimedAtInsert). Their
 * notifications go in the same statement (insertNotificationsSql).
 */
export function insertIntentsSql(param: string, now: string): string {
  return `INSERT INTO router_deliveries (idempotency_key, notification_key, delivery_id, alert_id, alert_ids, department_id, work_order_id,
         channel_name, channel_type, target, state, attempts, lease_until, next_attempt_at, fallback_of, created_at, updated_at)
       SELECT x.k, x.n, x.k, x.alert, x.alerts, x.dept, x.wo, x.ch, x.ct, x.target,
         CASE WHEN x.lease IS NULL THEN 'pending' ELSE 'inflight' END, CASE WHEN x.lease IS NULL THEN 0 ELSE 1 END, x.lease,
         x.next, x.fb, ${now}, ${now}
       FROM jsonb_to_recordset(${param}::jsonb) AS x(k text, n text, alert text, alerts text[], dept text, wo text, ch text, ct text,
         target text, next timestamptz, fb text, lease timestamptz)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING idempotency_key`;
}

/** Intents as insertIntentsSql reads them; `leases` (key → lease end) marks the ones claimed at insert. */
export function intentsParam(rows: readonly NewDelivery[], leases?: ReadonlyMap<string, number>): string {
  return JSON.stringify(
    rows.map((r) => {
      const lease = leases?.get(r.key);
      return {
        k: r.key,
        n: r.notificationKey,
        alert: r.alertId,
        alerts: r.alertIds,
        dept: r.departmentId,
        wo: r.workOrderId ?? null,
        ch: r.channelName,
        ct: r.channelType,
        target: r.target,
        next: iso(r.nextAttemptAt),
        fb: r.fallbackOf ?? null,
        lease: lease === undefined ? null : iso(lease),
      };
    }),
  );
}

/** The INSERT of notifications (idempotent on their key) from the jsonb parameter `param` (see notificationsParam). */
export function insertNotificationsSql(param: string, now: string): string {
  return `INSERT INTO router_notifications (notification_key, message, created_at)
       SELECT x.n, x.msg, ${now} FROM jsonb_to_recordset(${param}::jsonb) AS x(n text, msg jsonb)
       ON CONFLICT (notification_key) DO NOTHING`;
}

/** Each notification of `rows` once; a fallback's exists already (its original's). */
export function notificationsParam(rows: readonly NewDelivery[]): string {
  const seen = new Map<string, Notification>();
  for (const r of rows) if (r.fallbackOf === undefined && !seen.has(r.notificationKey)) seen.set(r.notificationKey, r.message);
  return JSON.stringify([...seen].map(([n, msg]) => ({ n, msg })));
}

/** An intent inserted already claimed (attempt 1), as the engine sends it. */
export function claimedAtInsert(r: NewDelivery): ClaimedDelivery {
  return {
    key: r.key,
    notificationKey: r.notificationKey,
    deliveryId: r.key,
    alertId: r.alertId,
    departmentId: r.departmentId,
    workOrderId: r.workOrderId ?? null,
    channelName: r.channelName,
    channelType: r.channelType,
    target: r.target,
    message: r.message,
    attempts: 1,
    uncertain: false,
  };
}

/** The INSERT of attempt rows from the jsonb parameter `param` (see attemptsParam). */
export function insertAttemptsSql(param: string): string {
  return `INSERT INTO router_delivery_attempts (idempotency_key, attempt, outcome, event, at)
     SELECT x.k, x.a, x.o, x.e, x.t FROM jsonb_to_recordset(${param}::jsonb) AS x(k text, a int, o text, e jsonb, t timestamptz)`;
}

export function attemptsParam(items: ReadonlyArray<{ key: string; attempt: number; outcome: Outcome; event: Delivery; at: number }>): string {
  return JSON.stringify(items.map((i) => ({ k: i.key, a: i.attempt, o: i.outcome, e: i.event, t: iso(i.at) })));
}

export class DeliveryStore {
  constructor(private readonly pool: Pool) {}

  /** Record intents (idempotent on the key). Returns the keys that were new. */
  async insert(c: PoolClient | Pool, rows: readonly NewDelivery[], now: number): Promise<string[]> {
    if (rows.length === 0) return [];
    const res = await c.query<{ idempotency_key: string }>(
      `WITH n AS (${insertNotificationsSql('$3', '$2')}) ${insertIntentsSql('$1', '$2')}`,
      [intentsParam(rows), iso(now), notificationsParam(rows)],
    );
    return res.rows.map((r) => r.idempotency_key);
  }

  /** Claim up to `limit` due rows of one channel (see claimMany). */
  async claim(channelName: string, limit: number, now: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.claimMany([{ channelName, limit, leaseMs }], now);
  }

  /**
   * Claim up to `limit` due rows of each channel: mark them in flight under a lease and record the
   * `intent` attempt (its Delivery event built in SQL, as deliveryEvent() would), all in ONE
   * statement, atomic and committed BEFORE the provider is called.
   */
  async claimMany(asks: ReadonlyArray<{ channelName: string; limit: number; leaseMs: number }>, now: number): Promise<ClaimedDelivery[]> {
    const wanted = asks.filter((a) => a.limit > 0);
    if (wanted.length === 0) return [];
    // One branch per channel, its LIMIT a literal (our own integer): the planner then expects
    // about that many rows. With the channels as a jsonb row set (guessed at 100 rows) and a LIMIT
    // taken from a column (guessed at 10% of the due rows), a backlog pushed the estimated cost over
    // jit_above_cost and every claim paid ~25 ms of JIT compilation (measured on this machine).
    const params: unknown[] = [iso(now), iso(now)];
    const branches = wanted.map((a, i) => {
      params.push(a.channelName, iso(now + a.leaseMs));
      return `c${i} AS (SELECT idempotency_key, $${params.length}::timestamptz AS lease FROM router_deliveries
           WHERE channel_name = $${params.length - 1} AND state IN ('pending', 'retrying') AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT ${Math.max(1, Math.trunc(a.limit))} FOR UPDATE SKIP LOCKED),`;
    });
    const res = await this.pool.query<Row>(
      `WITH ${branches.join('\n       ')}
       due AS (${wanted.map((_, i) => `SELECT * FROM c${i}`).join(' UNION ALL ')}),
       -- The claimed rows are found through the primary key (= ANY of the keys picked above): joined
       -- with due alone, the planner hashed a sequential scan of the whole table, every claim.
       u AS (
         UPDATE router_deliveries d SET state = 'inflight', attempts = d.attempts + 1, lease_until = due.lease, updated_at = $1
         FROM due WHERE d.idempotency_key = ANY (ARRAY(SELECT idempotency_key FROM due)) AND d.idempotency_key = due.idempotency_key
         RETURNING d.idempotency_key, d.notification_key, d.delivery_id, d.alert_id, d.department_id, d.work_order_id, d.channel_name,
           d.channel_type, d.target, d.attempts, d.uncertain),
       a AS (
         INSERT INTO router_delivery_attempts (idempotency_key, attempt, outcome, event, at)
         SELECT u.idempotency_key, u.attempts, 'intent',
           jsonb_build_object('schemaVersion', 1, 'deliveryId', u.delivery_id, 'alertId', u.alert_id, 'departmentId', u.department_id,
             'channel', jsonb_build_object('type', left(u.channel_type, 32), 'name', left(u.channel_name, 64)),
             'attempt', GREATEST(1, u.attempts), 'outcome', 'intent', 'at', $2::text)
           || CASE WHEN COALESCE(u.work_order_id, '') <> '' THEN jsonb_build_object('workOrderId', u.work_order_id) ELSE '{}'::jsonb END,
           $1
         FROM u
         RETURNING 1)
       -- LEFT: a claimed row whose notification is missing still comes back (the engine fails it without a call)
       SELECT u.*, n.message FROM u LEFT JOIN router_notifications n ON n.notification_key = u.notification_key`,
      params,
    );
    return res.rows.map(toClaimed);
  }

  /**
   * Record outcomes (and fallback intents) atomically: the guarded state update and the attempt
   * rows of the outcomes it applied are one statement; with fallbacks, one transaction.
   */
  async recordOutcomes(outcomes: readonly OutcomeRecord[], fallbacks: readonly NewDelivery[], now: number): Promise<void> {
    if (outcomes.length === 0 && fallbacks.length === 0) return;
    if (fallbacks.length === 0) {
      await this.applyOutcomes(this.pool, outcomes, now);
      return;
    }
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await this.applyOutcomes(c, outcomes, now);
      await this.insert(c, fallbacks, now);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async applyOutcomes(c: PoolClient | Pool, outcomes: readonly OutcomeRecord[], now: number): Promise<void> {
    if (outcomes.length === 0) return;
    await c.query(
      `WITH x AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb)
           AS x(k text, a int, state text, next timestamptz, pmid text, ecode text, emsg text, o text, e jsonb)),
       u AS (
         UPDATE router_deliveries d SET state = x.state, lease_until = NULL, updated_at = $2,
           next_attempt_at = COALESCE(x.next, d.next_attempt_at),
           provider_message_id = COALESCE(x.pmid, d.provider_message_id),
           last_error_code = x.ecode, last_error = x.emsg
         FROM x
         WHERE d.idempotency_key = ANY ($3::text[]) AND d.idempotency_key = x.k AND d.state = 'inflight' AND d.attempts = x.a
         RETURNING d.idempotency_key, d.attempts),
       a AS (
         INSERT INTO router_delivery_attempts (idempotency_key, attempt, outcome, event, at)
         SELECT x.k, x.a, x.o, x.e, $2 FROM x JOIN u ON u.idempotency_key = x.k AND u.attempts = x.a
         RETURNING 1)
       SELECT count(*) FROM u`,
      [
        JSON.stringify(
          outcomes.map((o) => ({
            k: o.row.key,
            a: o.row.attempts,
            state: o.state,
            next: o.nextAttemptAt !== undefined ? iso(o.nextAttemptAt) : null,
            pmid: o.providerMessageId ?? null,
            ecode: o.error?.code ?? null,
            emsg: o.error?.message.slice(0, 1024) ?? null,
            o: o.outcome,
            e: deliveryEvent(o.row, o.row.attempts, o.outcome, now, { providerMessageId: o.providerMessageId, error: o.error }),
          })),
        ),
        iso(now),
        outcomes.map((o) => o.row.key),
      ],
    );
  }

  /**
   * In-flight rows whose lease ran out belong to a process that died mid-call: the provider may or
   * may not have accepted. Mark them uncertain (an `uncertain` attempt + flag); channels in `hold`
   * stop there, the others are resent with the SAME idempotency key.
   */
  async recoverExpired(now: number, holdChannels: readonly string[]): Promise<number> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const res = await c.query<Row>(
        `UPDATE router_deliveries SET uncertain = true, lease_until = NULL, updated_at = $1, next_attempt_at = $1,
           state = CASE WHEN channel_name = ANY($2::text[]) THEN 'held' ELSE 'retrying' END,
           last_error_code = 'SW_ROUTER_UNCERTAIN', last_error = 'router stopped while the call was in flight'
         WHERE state = 'inflight' AND lease_until <= $1
         RETURNING idempotency_key, notification_key, delivery_id, alert_id, department_id, work_order_id, channel_name, channel_type,
           target, attempts, uncertain`,
        [iso(now), holdChannels],
      );
      // Only their events are written here; the message is read when a row is claimed again.
      const rows = res.rows.map((r) => toClaimed({ ...r, message: null }));
      await insertAttempts(
        c,
        rows.map((r) => ({
          key: r.key,
          attempt: r.attempts,
          outcome: 'uncertain',
          event: deliveryEvent(r, r.attempts, 'uncertain', now, {
            error: { code: 'SW_ROUTER_UNCERTAIN', message: 'router stopped while the provider call was in flight' },
          }),
          at: now,
        })),
      );
      await c.query('COMMIT');
      return rows.length;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /** Rows waiting for a (re)try: the retry queue depth. */
  async queueDepth(): Promise<{ pending: number; retrying: number; inflight: number }> {
    const res = await this.pool.query<{ state: string; n: string }>(
      // Two partial-index scans (waiting, in flight) instead of one scan of the whole table (its history included).
      `SELECT state, count(*)::text AS n FROM router_deliveries WHERE state IN ('pending', 'retrying') GROUP BY state
       UNION ALL SELECT 'inflight', count(*)::text FROM router_deliveries WHERE state = 'inflight'`,
    );
    const get = (s: string): number => Number(res.rows.find((r) => r.state === s)?.n ?? 0);
    return { pending: get('pending'), retrying: get('retrying'), inflight: get('inflight') };
  }
}
