import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import pg from 'pg';
import { ConfigError, parseConfig, type Pool } from '@streetwatch/platform';
import { testKafka, type TeardownHost } from '@streetwatch/platform/testing';
import { checkReferences } from '../../src/config/references.js';
import { RetentionConfig, RouterConfig } from '../../src/config/schema.js';
import { RetentionJob } from '../../src/retention/job.js';
import { ManualClock } from '@streetwatch/platform';
import type { User } from '../../src/workorders/index.js';
import { alertFor, harness, type Harness } from '../workorders/fixtures/harness.js';

const DAY = 86_400_000;
const headA: User = { id: 'wang.head', name: '王芳', departmentId: 'dept-a', role: 'head' };
const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };
const sup: User = { id: 'zhou.sup', name: '周指挥', departmentId: 'command', role: 'supervisor' };
// The smallest JPEG header the upload check accepts (magic bytes), plus some payload.
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 1)]);

/** Every period 1 day, unless overridden. */
function retention(over: Record<string, unknown> = {}): RetentionConfig {
  const raw = { alerts: '1d', deliveries: '1d', silences: '1d', audit: '1d', workOrders: '1d', violationEnds: '1d', batchSize: 10, ...over };
  return (parseConfig(Type.Object({ retention: RetentionConfig }), { retention: raw }, 'test') as { retention: RetentionConfig }).retention;
}

function job(t: TeardownHost, h: Harness, cfg: RetentionConfig, now: number): { job: RetentionJob; clock: ManualClock } {
  const clock = new ManualClock(now);
  const j = new RetentionJob(cfg, { pool: h.pool, log: h.wo.log, registry: h.registry, clock, photosDir: h.uploadDir });
  t.teardown(() => j.close());
  return { job: j, clock };
}

const count = async (pool: Pool, sql: string, params: unknown[] = []): Promise<number> =>
  Number((await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`, params)).rows[0]?.n);

/** Delivery-half rows written directly (their writers are tested elsewhere): a row per state and age, with its notification. */
async function seedDelivery(pool: Pool, key: string, state: string, at: Date, published = true, notification = `n-${key}`): Promise<void> {
  await pool.query(
    `INSERT INTO router_notifications (notification_key, message, created_at) VALUES ($1, '{}', $2) ON CONFLICT DO NOTHING`,
    [notification, at],
  );
  await pool.query(
    `INSERT INTO router_deliveries (idempotency_key, notification_key, delivery_id, alert_id, alert_ids, department_id, channel_name, channel_type,
       target, state, next_attempt_at, created_at, updated_at)
     VALUES ($1, $4, $1, 'al-x', ARRAY['al-x'], 'dept-a', 'rec', 'webhook', 'department', $2, $3, $3, $3)`,
    [key, state, at, notification],
  );
  await pool.query(
    `INSERT INTO router_delivery_attempts (idempotency_key, attempt, outcome, event, published, at) VALUES ($1, 1, 'intent', '{}', $2, $3)`,
    [key, published, at],
  );
}

async function seedAlert(pool: Pool, id: string, at: Date, member: 'pending' | 'notified' | null, group = `g-${id}`, groupNext: Date | null = null): Promise<void> {
  await pool.query(`INSERT INTO router_alerts (alert_id, alert, received_at) VALUES ($1, '{}', $2)`, [id, at]);
  await pool.query(
    `INSERT INTO router_groups (group_key, department_id, route, labels, group_wait_ms, group_interval_ms, repeat_interval_ms,
       created_at, next_flush_at, last_flush_at)
     VALUES ($1, 'dept-a', 'root', '{}', 0, 60000, 3600000, $2, $3, $2) ON CONFLICT DO NOTHING`,
    [group, at, groupNext],
  );
  if (member) {
    await pool.query(`INSERT INTO router_group_members (group_key, alert_id, department_id, state, added_at) VALUES ($1, $2, 'dept-a', $3, $4)`, [
      group,
      id,
      member,
      at,
    ]);
  }
}

t.test('retention', async (t) => {
  const kafka = await testKafka(t, { label: 'retention' });

  t.test('rows past their retention are deleted and counted per table; younger ones stay', async (t) => {
    const h = await harness(t, kafka);
    const now = Date.parse('2026-12-10T00:00:00.000Z');
    const old = new Date(now - 2 * DAY);
    const young = new Date(now - DAY / 2);
    for (const [age, at] of [['old', old], ['young', young]] as const) {
      // Two channels of one flush: one notification.
      await seedDelivery(h.pool, `dk-sent-${age}`, 'sent', at, true, `n-${age}`);
      await seedDelivery(h.pool, `dk-failed-${age}`, 'failed', at, true, `n-${age}`);
      await seedAlert(h.pool, `al-${age}`, at, 'notified');
      await h.pool.query(
        `INSERT INTO router_silences (silence_id, matcher, starts_at, ends_at, created_by, comment, created_at) VALUES ($1, '{"zone":"P1"}', $2, $2, 'x', 'y', $2)`,
        [`sil-${age}`, at],
      );
      await h.pool.query(`INSERT INTO api_audit (at, action, method, path, result, status_code) VALUES ($1, 'me', 'GET', '/api/me', 'ok', 200)`, [at]);
      await h.pool.query(`INSERT INTO violation_ends (violation_id, ended_at, received_at) VALUES ($1, $2, $2)`, [`vio-${age}`, at]);
      // A live ticket and its viewing (audit records of the live view).
      const lt = await h.pool.query<{ id: string }>(
        `INSERT INTO live_tickets (camera_id, user_id, department_id, role, issued_at, expires_at) VALUES ($1, 'li', 'dept-a', 'staff', $2, $2) RETURNING id`,
        [`cam-${age}`, at],
      );
      await h.pool.query(`INSERT INTO live_views (ticket_id, camera_id, user_id, result, opened_at) VALUES ($1, $2, 'li', 'ok', $3)`, [lt.rows[0]?.id, `cam-${age}`, at]);
    }
    const { job: j } = job(t, h, retention(), now);
    const run = await j.runOnce();
    t.equal(run.skipped, false);
    t.same(run.deleted, {
      router_delivery_attempts: 2,
      router_deliveries: 2,
      router_notifications: 1,
      router_alerts: 1,
      router_group_members: 1,
      router_groups: 1,
      work_orders: 0,
      router_silences: 1,
      api_audit: 1,
      live_tickets: 1,
      violation_ends: 1,
    });
    t.same((await h.pool.query('SELECT camera_id FROM live_views')).rows, [{ camera_id: 'cam-young' }], 'the old ticket’s viewing went with it');
    t.same((await h.pool.query('SELECT idempotency_key FROM router_deliveries ORDER BY 1')).rows.map((r) => r.idempotency_key), ['dk-failed-young', 'dk-sent-young']);
    t.same((await h.pool.query('SELECT notification_key FROM router_notifications')).rows, [{ notification_key: 'n-young' }]);
    t.same((await h.pool.query('SELECT alert_id FROM router_alerts')).rows, [{ alert_id: 'al-young' }]);
    t.same((await h.pool.query('SELECT group_key FROM router_groups')).rows, [{ group_key: 'g-al-young' }]);
    t.same((await h.pool.query('SELECT silence_id FROM router_silences')).rows, [{ silence_id: 'sil-young' }]);
    t.equal(await count(h.pool, 'api_audit'), 1);
    t.same((await h.pool.query('SELECT violation_id FROM violation_ends')).rows, [{ violation_id: 'vio-young' }]);
    const metrics = await h.registry.metrics();
    t.match(metrics, /streetwatch_router_retention_deleted_rows_total\{[^}]*table="router_deliveries"[^}]*\} 2/);
    t.match(metrics, /streetwatch_router_retention_runs_total\{[^}]*result="ok"[^}]*\} 1/);
    t.same((await j.runOnce()).deleted.router_deliveries, 0, 'a second run finds nothing more');
  });

  t.test('deletes go in batches until everything old is gone', async (t) => {
    const h = await harness(t, kafka);
    const now = Date.parse('2026-12-10T00:00:00.000Z');
    for (let i = 0; i < 25; i++) {
      await h.pool.query(`INSERT INTO api_audit (at, action, method, path, result, status_code) VALUES ($1, 'me', 'GET', '/api/me', 'ok', 200)`, [
        new Date(now - 2 * DAY - i * 1000),
      ]);
    }
    const { job: j } = job(t, h, retention({ batchSize: 10 }), now);
    t.equal((await j.runOnce()).deleted.api_audit, 25, 'three batches of at most 10');
    t.equal(await count(h.pool, 'api_audit'), 0);
  });

  t.test('rows still in use are never deleted, whatever their age', async (t) => {
    const h = await harness(t, kafka);
    const long = new Date(Date.parse('2026-01-01T00:00:00.000Z'));
    for (const state of ['pending', 'inflight', 'retrying', 'held', 'dead']) await seedDelivery(h.pool, `dk-${state}`, state, long);
    await seedDelivery(h.pool, 'dk-sent-unpublished', 'sent', long, false);
    // Sent on one channel long ago, still retrying on another (or its fallback): the content stays for the one that waits.
    await seedDelivery(h.pool, 'dk-sent-shared', 'sent', long, true, 'n-dk-retrying');
    await seedAlert(h.pool, 'al-pending', long, 'pending');
    await seedAlert(h.pool, 'al-timer', long, null, 'g-timer', new Date(long.getTime() + DAY));

    // Work orders at the harness clock (2026-11-26), looked at 10 years later.
    const open = await h.wo.dispatch(alertFor(), 'dept-a');
    const signed = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, signed.workOrderId, 'sign');
    const returned = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, returned.workOrderId, 'return', { reason: '不属于本科室' });
    const moved = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, moved.workOrderId, 'return', { reason: '不属于本科室' });
    await h.wo.act(sup, moved.workOrderId, 'redispatch', { departmentId: 'dept-b' });
    const withOutbox = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(headA, withOutbox.workOrderId, 'mark_false_positive');
    const withNotice = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(headA, withNotice.workOrderId, 'mark_duplicate');
    await h.wo.flushOutbox();
    await h.wo.close(); // the outbox stops draining: a row written now stays unpublished
    await h.pool.query(`INSERT INTO work_order_outbox (work_order_id, event) VALUES ($1, '{}')`, [withOutbox.workOrderId]);
    await h.pool.query(
      `INSERT INTO work_order_escalations (key, work_order_id, step, round, level, target, due_at, fired_at)
       VALUES ($1, $2, 'sign', 1, 1, 'head', $3, $3)`,
      [`${withNotice.workOrderId}:sign-1:1`, withNotice.workOrderId, long],
    );

    const { job: j } = job(t, h, retention(), Date.parse('2036-01-01T00:00:00.000Z'));
    const run = await j.runOnce();
    t.same(
      (await h.pool.query('SELECT state FROM router_deliveries ORDER BY state')).rows.map((r) => r.state),
      ['dead', 'held', 'inflight', 'pending', 'retrying'],
      'pending, in flight, retrying, held and dead deliveries stay (the sent ones go)',
    );
    t.same(
      (await h.pool.query('SELECT notification_key FROM router_notifications ORDER BY 1')).rows.map((r) => r.notification_key),
      ['n-dk-dead', 'n-dk-held', 'n-dk-inflight', 'n-dk-pending', 'n-dk-retrying'],
      'a notification goes with the last delivery that names it',
    );
    t.same(
      (await h.pool.query('SELECT idempotency_key FROM router_delivery_attempts WHERE NOT published')).rows,
      [{ idempotency_key: 'dk-sent-unpublished' }],
      'an event not yet published stays, even when its delivery is gone',
    );
    t.same((await h.pool.query('SELECT alert_id FROM router_alerts')).rows, [{ alert_id: 'al-pending' }], 'an alert not yet notified stays');
    t.equal(await count(h.pool, "router_groups WHERE group_key = 'g-timer'"), 1, 'a group with a running timer stays');
    const left = new Set((await h.pool.query<{ id: string }>('SELECT id FROM work_orders')).rows.map((r) => r.id));
    t.ok(left.has(open.workOrderId), 'dispatched stays');
    t.ok(left.has(signed.workOrderId), 'signed stays');
    t.ok(left.has(returned.workOrderId), 'returned and not yet re-dispatched stays (a supervisor still has to act)');
    t.ok(left.has(moved.workOrderId), 'returned and re-dispatched to an order still open stays');
    t.ok(left.has(withOutbox.workOrderId), 'closed with an event not yet produced stays');
    t.ok(left.has(withNotice.workOrderId), 'closed with an escalation notice not yet sent stays');
    t.equal(run.deleted.work_orders, 0);
  });

  t.test('a finished work order goes with its history, escalations, photos (rows and files) and false-positive mark', async (t) => {
    const h = await harness(t, kafka);
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, a.workOrderId, 'sign');
    await h.wo.act(staffA, a.workOrderId, 'handle', { feedback: '已处理', photos: [{ filename: 'x.jpg', mimetype: 'image/jpeg', buffer: JPEG }] });
    await h.wo.act(headA, a.workOrderId, 'mark_false_positive', { note: '树影' });
    await h.pool.query(
      `INSERT INTO work_order_escalations (key, work_order_id, step, round, level, target, due_at, fired_at, notified_at)
       VALUES ($1, $2, 'sign', 1, 1, 'head', $3, $3, $3)`,
      [`${a.workOrderId}:sign-1:1`, a.workOrderId, new Date(h.clock.now())],
    );
    const fresh = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.flushOutbox();
    t.ok(existsSync(join(h.uploadDir, a.workOrderId)), 'the photo is on disk');

    const { job: j, clock } = job(t, h, retention(), h.clock.now() + DAY / 2);
    t.equal((await j.runOnce()).deleted.work_orders, 0, 'not before its retention');
    clock.advance(DAY);
    const run = await j.runOnce();
    t.match(run.deleted, { work_orders: 1, work_order_history: 4, work_order_photos: 1, work_order_escalations: 1, alert_feedback: 1 });
    t.notOk(existsSync(join(h.uploadDir, a.workOrderId)), 'its photo folder is gone');
    t.same((await h.pool.query('SELECT id FROM work_orders')).rows, [{ id: fresh.workOrderId }], 'the open one stays');
  });

  t.test('forever keeps a table, and a second instance skips while one runs', async (t) => {
    const h = await harness(t, kafka);
    const now = Date.parse('2026-12-10T00:00:00.000Z');
    await h.pool.query(`INSERT INTO api_audit (at, action, method, path, result, status_code) VALUES ($1, 'me', 'GET', '/api/me', 'ok', 200)`, [
      new Date(now - 400 * DAY),
    ]);
    const { job: j } = job(t, h, retention({ audit: 'forever' }), now);
    t.equal((await j.runOnce()).deleted.api_audit, undefined, 'the audit step does not run');
    t.equal(await count(h.pool, 'api_audit'), 1);

    const other = new pg.Client((h.pool as pg.Pool).options);
    await other.connect();
    t.teardown(() => other.end());
    await other.query('SELECT pg_advisory_lock($1)', [0x52455445]);
    t.same(await j.runOnce(), { skipped: true, deleted: {} }, 'the other instance holds the lock');
    t.match(await h.registry.metrics(), /streetwatch_router_retention_runs_total\{[^}]*result="skipped"[^}]*\} 1/);
    await other.query('SELECT pg_advisory_unlock($1)', [0x52455445]);
    t.equal((await j.runOnce()).skipped, false, 'runs again once the lock is free');
  });
});

t.test('retention config: defaults, forever, and errors by key path', async (t) => {
  const base = {
    departments: { d1: { name: 'D1', channels: ['queue'] } },
    channels: { queue: { type: 'kafka-dept' } },
    routing: { route: { departments: ['d1'] } },
  };
  const parse = (raw: object): RouterConfig => {
    const c = parseConfig(RouterConfig, raw, 'router.yaml') as RouterConfig;
    checkReferences(c, 'router.yaml');
    return c;
  };
  t.match(parse(base).retention, {
    enabled: true,
    interval: '1h',
    alerts: '35d',
    deliveries: '30d',
    silences: '90d',
    audit: '365d',
    workOrders: '730d',
    violationEnds: '7d',
  });
  t.equal(parse({ ...base, retention: { workOrders: 'forever' } }).retention.workOrders, 'forever');
  const problems = (raw: object): string[] => {
    try {
      parse({ ...base, ...raw });
      return [];
    } catch (e) {
      t.type(e, ConfigError);
      return (e as ConfigError).lines();
    }
  };
  t.same(problems({ retention: { audit: 'a year' } }).filter((l) => l.includes('retention.audit')).length > 0, true, 'not a duration');
  t.match(problems({ retention: { unknown: 1 } }), [/router\.yaml: retention\.unknown: is not allowed/]);
  t.match(problems({ retention: { violationEnds: '10m' } }), [/router\.yaml: retention\.violationEnds: must be at least 1h/]);
  t.match(problems({ delivery: { resolveTimeout: '2d' }, retention: { alerts: '1d' } }), [
    /router\.yaml: retention\.alerts: must be longer than delivery\.resolveTimeout \(2d\)/,
  ]);
});
