import t from 'tap';
import { exampleAlert, type Alert } from '@streetwatch/schemas';
import Fastify from 'fastify';
import { sendError, toHttpError } from '../../src/api/http.js';
import { silenceRoutes } from '../../src/api/silences.js';
import { harness, RecordingChannel } from '../delivery/harness.js';

const T0 = Date.parse('2026-11-26T06:00:00.000Z');
const alert = (id: string, o: Partial<Alert> = {}): Alert =>
  exampleAlert({ alertId: id, site: { cameraIds: ['cam-03'], zoneId: 'P1', gridId: 'grid-3' }, ...o });

function config(route: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    departments: { cg: { name: '城管执法', channels: ['rec'] }, market: { name: '市场监管', channels: ['rec'] } },
    channels: { rec: { type: 'webhook', url: 'http://127.0.0.1:1/unused', signSecretEnv: 'UNUSED' } },
    routing: { route },
    delivery: { resolveTimeout: '2h' },
    ...extra,
  };
}

t.test('group wait collects alerts, group interval batches later ones, repeat interval re-notifies (manual clock)', async (t) => {
  const rec = new RecordingChannel('rec');
  const h = await harness(
    t,
    config({ departments: ['cg'], groupBy: ['zone'], groupWait: '30s', groupInterval: '5m', repeatInterval: '1h' }),
    { channels: new Map([['rec', rec]]) },
  );
  h.clock.set(T0);
  await h.pipeline.router.ingest([{ alert: alert('a1') }, { alert: alert('a2') }]);
  await h.pipeline.tick();
  t.equal(rec.sent.length, 0, 'nothing before group wait');
  h.clock.advance(29_999);
  await h.pipeline.tick();
  t.equal(rec.sent.length, 0, 'still nothing 1 ms before group wait ends');
  h.clock.advance(1);
  await h.pipeline.tick();
  t.same(rec.alertIds(), [['a1', 'a2']], 'one notification for both alerts of the zone');

  h.clock.set(T0 + 60_000);
  await h.pipeline.router.ingest([{ alert: alert('a3') }]);
  await h.pipeline.tick();
  t.equal(rec.sent.length, 1, 'a new alert in a notified group waits for the group interval');
  h.clock.set(T0 + 30_000 + 5 * 60_000);
  await h.pipeline.tick();
  t.same(rec.alertIds()[1], ['a3'], 'group interval after the last flush: only the new alert');

  await h.pipeline.router.ingest([{ alert: alert('a1') }, { alert: alert('a3') }]);
  h.clock.advance(10 * 60_000);
  await h.pipeline.tick();
  t.equal(rec.sent.length, 2, 'replayed alerts are duplicates: nothing new');

  h.clock.set(T0 + 30_000 + 5 * 60_000 + 3_600_000);
  await h.pipeline.tick();
  t.same(rec.alertIds()[2], ['a1', 'a2', 'a3'], 'repeat interval: the still-active alerts again');
  t.match(rec.sent[2]?.msg.title, /^\[repeat\]/);
  t.not(rec.sent[2]?.key, rec.sent[0]?.key, 'each flush has its own idempotency key');
  const wo = await h.workOrders.dispatch(alert('a1'), 'cg');
  t.equal(wo.created, false, 'one work order per alert x department, created at the first notification');
});

t.test('the same alertId is handled once, across restarts of the pipeline', async (t) => {
  const rec = new RecordingChannel('rec');
  const h = await harness(t, config({ departments: ['cg'] }), { channels: new Map([['rec', rec]]) });
  const r1 = await h.pipeline.router.ingest([{ alert: alert('x1') }, { alert: alert('x1') }, { alert: alert('x2') }]);
  t.same(r1, { fresh: 2, duplicates: 1 });
  await h.pipeline.tick();
  const r2 = await h.pipeline.router.ingest([{ alert: alert('x1') }]);
  t.same(r2, { fresh: 0, duplicates: 1 });
  await h.pipeline.tick();
  t.same(rec.alertIds(), [['x1'], ['x2']], 'default grouping: one notification per alert, each once');
});

t.test('a silence created over the API suppresses matching alerts until it is expired, then they are delivered', async (t) => {
  const rec = new RecordingChannel('rec');
  const h = await harness(t, config({ departments: ['cg'], groupInterval: '1m' }), { channels: new Map([['rec', rec]]) });
  h.clock.set(T0);
  // Auth, audit and roles are the API's (test/api/silences.test.ts): here a supervisor is signed in.
  const app = Fastify();
  app.decorateRequest('swUser', null);
  app.addHook('onRequest', async (req) => {
    req.swUser = { id: 'supervisor-1', name: '周指挥', departmentId: 'command', role: 'supervisor' };
  });
  app.setErrorHandler((err, req, reply) => sendError(reply, req, toHttpError(err, h.log)));
  silenceRoutes({ silences: h.pipeline.silences, departments: ['cg', 'market'] })(app);
  t.teardown(() => app.close());
  const bad = await app.inject({ method: 'POST', url: '/api/v1/silences', payload: { matcher: { zone: 'P1' }, endsAt: 'tomorrow', comment: 'y' } });
  t.equal(bad.statusCode, 400, 'input validated by schema');
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/silences',
    payload: { matcher: { zone: 'P1', type: 'illegal_parking' }, endsAt: new Date(T0 + 3_600_000).toISOString(), comment: 'road works in P1' },
  });
  t.equal(created.statusCode, 201);
  const silence = created.json<{ silenceId: string; state: string }>();
  t.equal(silence.state, 'active');

  await h.pipeline.router.ingest([{ alert: alert('s1') }, { alert: alert('s2', { site: { cameraIds: ['cam-09'], zoneId: 'P7' } }) }]);
  await h.pipeline.tick();
  t.same(rec.alertIds(), [['s2']], 'the silenced zone is not notified, the other is');
  const ev = await h.pool.query<{ event: { outcome: string; alertId: string; error: { code: string; message: string } } }>(
    "SELECT event FROM router_delivery_attempts WHERE outcome = 'suppressed'",
  );
  t.match(ev.rows.map((r) => r.event), [{ outcome: 'suppressed', alertId: 's1', error: { code: 'SILENCED', message: silence.silenceId } }]);

  const list = await app.inject({ method: 'GET', url: '/api/v1/silences' });
  t.equal(list.json<{ silences: unknown[] }>().silences.length, 1);
  h.clock.advance(60_000);
  await h.pipeline.tick();
  t.equal(rec.sent.length, 1, 'still silenced at the next interval');

  const expired = await app.inject({ method: 'DELETE', url: `/api/v1/silences/${silence.silenceId}` });
  t.equal(expired.json<{ state: string }>().state, 'expired');
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/silences/${silence.silenceId}` })).statusCode, 404);
  h.clock.advance(60_000);
  await h.pipeline.tick();
  t.same(rec.alertIds()[1], ['s1'], 'after expiry the still-active alert is delivered');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/silences' })).json<{ silences: unknown[] }>().silences.length, 0);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/silences?all=true' })).json<{ silences: unknown[] }>().silences.length, 1);
});

t.test('a silence for one department mutes only the notifications to that department', async (t) => {
  const rec = new RecordingChannel('rec');
  const h = await harness(t, config({ departments: ['cg', 'market'] }), { channels: new Map([['rec', rec]]) });
  h.clock.set(T0);
  await h.pipeline.silences.create({
    matcher: { zone: 'P1' },
    endsAt: new Date(T0 + 3_600_000).toISOString(),
    createdBy: 'wang.head',
    comment: '城管 handles P1 on foot this week',
    departmentId: 'cg',
  });
  await h.pipeline.router.ingest([{ alert: alert('d1') }]);
  await h.pipeline.tick();
  t.same(
    rec.sent.map((s) => s.msg.departmentId),
    ['market'],
    'the alert routed to both departments reaches only the one not silenced',
  );
});

t.test('a red-shop alert inhibits spillover alerts of the same shop, not of other shops', async (t) => {
  const rec = new RecordingChannel('rec');
  const h = await harness(
    t,
    config(
      {
        departments: ['cg'],
        groupWait: '10s',
        routes: [{ match: { type: 'shop_red' }, departments: ['market'] }],
      },
      { inhibitRules: [{ source: { type: 'shop_red' }, target: { type: 'shopfront_spillover' }, equal: ['shop'] }] },
    ),
    { channels: new Map([['rec', rec]]) },
  );
  h.clock.set(T0);
  const spill = (id: string, shopId: string): Alert =>
    alert(id, { type: 'shopfront_spillover', site: { cameraIds: ['cam-05'], shopId }, title: `spillover ${shopId}` });
  await h.pipeline.router.ingest([{ alert: spill('sp-1', 'S17') }, { alert: spill('sp-2', 'S18') }]);
  await h.pipeline.router.ingest([{ alert: alert('red-1', { type: 'shop_red', severity: 'critical', site: { cameraIds: ['cam-05'], shopId: 'S17' } }) }]);
  h.clock.advance(10_000);
  await h.pipeline.tick();
  const ids = rec.alertIds().flat().sort();
  t.same(ids, ['red-1', 'sp-2'], 'S17 spillover inhibited by S17 red; S18 spillover delivered');
  const ev = await h.pool.query<{ event: { alertId: string; error: { code: string; message: string } } }>(
    "SELECT event FROM router_delivery_attempts WHERE outcome = 'suppressed'",
  );
  t.match(ev.rows[0]?.event, { alertId: 'sp-1', error: { code: 'INHIBITED', message: 'inhibit-rule-0:red-1' } });
});
