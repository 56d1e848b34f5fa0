/**
 * The router as a child process on the real broker and PostgreSQL, delivering to local fakes, is
 * killed with SIGKILL at several points of a delivery burst and restarted. Afterwards: every alert
 * is recorded and delivered on every channel, and a key reached a fake more than once only if its
 * delivery is marked uncertain in PostgreSQL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stackSettings } from '@streetwatch/platform';
import { testDatabase, testKafka, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, departmentTopic, exampleAlert, type DepartmentNotice } from '@streetwatch/schemas';
import { startFakeDingtalk } from '../support/fake-robots/index.js';
import { startFakeWebhook } from '../support/fake-webhook/index.js';
import { routerProcess } from '../support/router-process.js';


t.test('kill -9 during a delivery burst, restart: none missing, duplicates only where marked uncertain', async (t) => {
  const k = await testKafka(t, { label: 'kill9', extra: [departmentTopic('cg-1')] });
  const db = await testDatabase(t);
  const hook = await startFakeWebhook(t, { secret: 'hook-secret' });
  const ding = await startFakeDingtalk(t, { accessToken: 'tok', secret: 'SECding' });
  hook.delayMs = 25;
  ding.delayMs = 15;
  const dir = mkdtempSync(join(tmpdir(), 'router-kill9-'));
  const { start, kill } = routerProcess(t, {
    dir,
    config: {
      instanceId: 'router-kill9',
      consumer: { groupId: `router-${k.prefix}` },
      http: { port: 0 },
      departments: { 'cg-1': { name: '城管执法一中队', channels: ['hook', 'ding', 'queue'] } },
      channels: {
        hook: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK_SECRET', concurrency: 4 },
        ding: { type: 'dingtalk', endpoint: `${ding.url}/robot/send`, accessTokenEnv: 'DING_TOKEN', signSecretEnv: 'DING_SECRET', concurrency: 4 },
        queue: { type: 'kafka-dept', concurrency: 4 },
      },
      routing: { route: { departments: ['cg-1'] } },
      delivery: { poll: '100ms', timeout: '1s', leaseGrace: '1s' },
    },
    env: {
      PGDATABASE: db.settings.database,
      STREETWATCH_TOPIC_PREFIX: k.prefix,
      STREETWATCH_LOG_LEVEL: 'warn',
      HOOK_SECRET: 'hook-secret',
      DING_TOKEN: 'tok',
      DING_SECRET: 'SECding',
    },
  });
  t.equal(stackSettings().kafka.brokers.length > 0, true);

  const t0 = Date.now();
  const mark = (what: string): void => void t.comment(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  const wave = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => exampleAlert({ alertId: `burst-${from + i}`, createdAt: new Date().toISOString() }));
  await k.producer.send(TOPICS.alerts, wave(0, 40));

  start();
  await waitFor('10 webhook deliveries', () => hook.accepted.size >= 10, { timeoutMs: 60_000, intervalMs: 5 });
  mark('10 delivered');
  await kill(); // mid-burst: some calls in flight at the fakes
  start();
  await waitFor('30 webhook deliveries', () => hook.accepted.size >= 30, { timeoutMs: 60_000, intervalMs: 5 });
  mark('30 delivered');
  await kill();
  await k.producer.send(TOPICS.alerts, wave(40, 40)); // arrives while the router is down
  start();
  await waitFor('first alerts of the second wave recorded', async () => {
    const r = await db.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM router_alerts WHERE alert_id >= 'burst-40'");
    return Number(r.rows[0]?.n) > 0;
  }, { timeoutMs: 60_000, intervalMs: 5 });
  mark('second wave arriving');
  await kill(); // right after intake, before most deliveries
  start();
  await waitFor(
    'all 240 deliveries sent',
    async () => {
      const r = await db.pool.query<{ n: string }>("SELECT count(*)::text AS n FROM router_deliveries WHERE state = 'sent'");
      return Number(r.rows[0]?.n) === 240;
    },
    { timeoutMs: 90_000, intervalMs: 200 },
  );
  mark('all sent');
  await kill();

  const alerts = await db.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM router_alerts');
  t.equal(Number(alerts.rows[0]?.n), 80, 'every alert recorded once');
  const rows = await db.pool.query<{ idempotency_key: string; channel_name: string; uncertain: boolean; alert_id: string }>(
    'SELECT idempotency_key, channel_name, uncertain, alert_id FROM router_deliveries',
  );
  t.equal(rows.rowCount, 240, 'one delivery per alert x channel, no more');
  const uncertain = new Set(rows.rows.filter((r) => r.uncertain).map((r) => r.idempotency_key));
  for (const [name, fake] of [['hook', hook], ['ding', ding]] as const) {
    const mine = rows.rows.filter((r) => r.channel_name === name);
    const missing = mine.filter((r) => !fake.accepted.has(r.idempotency_key));
    t.equal(missing.length, 0, `${name}: none missing at the provider`);
    const dup = [...fake.accepted.entries()].filter(([, n]) => n > 1).map(([key]) => key);
    t.same(dup.filter((key) => !uncertain.has(key)), [], `${name}: duplicates (${dup.length}) only where marked uncertain`);
  }
  const notices = await k.readAll(departmentTopic('cg-1'), (m) => new Set(m.map((x) => (JSON.parse(String(x.value)) as DepartmentNotice).alert.alertId)).size >= 80, 30_000);
  const perAlert = new Map<string, number>();
  for (const m of notices) {
    const n = JSON.parse(String(m.value)) as DepartmentNotice;
    perAlert.set(n.alert.alertId, (perAlert.get(n.alert.alertId) ?? 0) + 1);
  }
  t.equal(perAlert.size, 80, 'queue: every alert on the department topic');
  const queueUncertain = new Set(rows.rows.filter((r) => r.channel_name === 'queue' && r.uncertain).map((r) => r.alert_id));
  t.same([...perAlert.entries()].filter(([id, n]) => n > 1 && !queueUncertain.has(id)), [], 'queue: repeats only where marked uncertain');
  mark('checked');
  t.comment(`uncertain deliveries: ${uncertain.size}; log: ${join(dir, 'router.log')}`);
});
