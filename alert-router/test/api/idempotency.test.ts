import { Type } from '@sinclair/typebox';
import t from 'tap';
import { parseConfig } from '@streetwatch/platform';
import { testKafka } from '@streetwatch/platform/testing';
import { RetentionConfig } from '../../src/config/schema.js';
import { RetentionJob } from '../../src/retention/job.js';
import { ManualClock } from '../../src/routing/clock.js';
import { alertFor, auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;

async function post(h: Harness, id: string, path: string, token: string, body: Json, key?: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/work-orders/${id}/${path}`,
    headers: { ...auth(token), ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });
  return { status: res.statusCode, replayed: res.headers['idempotent-replayed'], body: JSON.parse(res.body) as Json };
}

const historyOf = async (h: Harness, id: string) =>
  (await h.pool.query<{ action: string }>('SELECT action FROM work_order_history WHERE work_order_id = $1 ORDER BY seq', [id])).rows.map((r) => r.action);

t.test('idempotency keys', async (t) => {
  const kafka = await testKafka(t, { label: 'idem' });
  const h = await harness(t, kafka);

  t.test('an action repeated with its key is applied once and the repeat answers the order as it is', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const first = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, { note: '到场' }, 'key-sign-0001');
    t.equal(first.status, 200);
    t.equal(first.replayed, undefined);
    const again = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, { note: '到场' }, 'key-sign-0001');
    t.equal(again.status, 200, 'not 409: the client learns its action took effect');
    t.equal(again.replayed, 'true');
    t.equal(again.body.status, 'signed');
    t.equal(again.body.version, first.body.version);
    t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
    const audit = await h.pool.query<{ detail: Json | null }>(
      "SELECT detail FROM api_audit WHERE action = 'sign' AND work_order_id = $1 ORDER BY id",
      [a.workOrderId],
    );
    t.same(audit.rows.map((r) => r.detail?.replayed ?? false), [false, true], 'the replay is audited as one');

    const noKey = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {});
    t.equal(noKey.status, 409, 'without a key a repeat is just an invalid transition');
  });

  t.test('concurrent requests with one key apply once', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const rs = await Promise.all([1, 2, 3, 4].map(() => post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-race-0001')));
    t.same(rs.map((r) => r.status), [200, 200, 200, 200]);
    t.equal(rs.filter((r) => r.replayed === 'true').length, 3);
    t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
  });

  t.test('a key reused for another action, order or user is refused with 422', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const b = await h.wo.dispatch(alertFor(), 'dept-a');
    t.equal((await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-reuse-0001')).status, 200);
    const otherOrder = await post(h, b.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-reuse-0001');
    t.equal(otherOrder.status, 422);
    t.equal(otherOrder.body.error.code, 'SW_ROUTER_IDEMPOTENCY_KEY_REUSED');
    t.same(otherOrder.body.error.fields, [{ path: 'headers/idempotency-key', message: 'already used for another action, work order or user' }]);
    t.same(await historyOf(h, b.workOrderId), ['dispatched'], 'nothing applied');
    const otherAction = await post(h, a.workOrderId, 'return', TOKENS.aStaff, { reason: '不是本辖区' }, 'key-reuse-0001');
    t.equal(otherAction.status, 422);
    const otherUser = await post(h, a.workOrderId, 'sign', TOKENS.aHead, {}, 'key-reuse-0001');
    t.equal(otherUser.status, 422);
    t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
  });

  t.test('a failed action does not use up its key', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const bad = await post(h, a.workOrderId, 'handle', TOKENS.aStaff, { feedback: 'done' }, 'key-fail-0001');
    t.equal(bad.status, 409, 'cannot handle before signing');
    await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-fail-0002');
    const ok = await post(h, a.workOrderId, 'handle', TOKENS.aStaff, { feedback: 'done' }, 'key-fail-0001');
    t.equal(ok.status, 200);
    t.equal(ok.replayed, undefined);
    t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed', 'handled']);
  });

  t.test('a malformed key is refused by field before anything happens', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const r = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'bad key with spaces');
    t.equal(r.status, 400);
    t.equal(r.body.error.fields[0].path, 'headers/idempotency-key');
    t.same(await historyOf(h, a.workOrderId), ['dispatched']);
  });

  t.test('keys go with their work order when retention deletes it', async (t) => {
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    await post(h, a.workOrderId, 'mark', TOKENS.aHead, { kind: 'false_positive' }, 'key-gone-0001');
    t.equal((await h.pool.query("SELECT 1 FROM work_order_requests WHERE idempotency_key = 'key-gone-0001'")).rowCount, 1);
    await h.wo.flushOutbox();
    const raw = { alerts: '1d', deliveries: '1d', silences: '1d', audit: '1d', workOrders: '1d', violationEnds: '1d' };
    const cfg = (parseConfig(Type.Object({ retention: RetentionConfig }), { retention: raw }, 'test') as { retention: RetentionConfig }).retention;
    const job = new RetentionJob(cfg, { pool: h.pool, log: h.wo.log, registry: h.registry, clock: new ManualClock(Date.parse('2036-01-01T00:00:00Z')), photosDir: h.uploadDir });
    t.teardown(() => job.close());
    t.ok(((await job.runOnce()).deleted.work_orders ?? 0) >= 1);
    t.equal((await h.pool.query("SELECT 1 FROM work_order_requests WHERE idempotency_key = 'key-gone-0001'")).rowCount, 0);
  });
});
