import t from 'tap';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, departmentTopic, dlqTopic, exampleAlert, validate, type Delivery, type DepartmentNotice } from '@streetwatch/schemas';
import { systemClock } from '@streetwatch/platform';
import { harness, states } from '../delivery/harness.js';
import { startFakeWebhook } from '../support/fake-webhook/index.js';

t.test('alerts on Kafka are recorded once, routed, delivered to a webhook and the department queue, each attempt a Delivery event', async (t) => {
  const k = await testKafka(t, { label: 'router', extra: [departmentTopic('cg-3')] });
  const hook = await startFakeWebhook(t, { secret: 'hook-secret' });
  const h = await harness(
    t,
    {
      consumer: { groupId: `router-${k.prefix}` },
      departments: { 'cg-3': { name: '城管执法中队', channels: ['hook', 'queue'] } },
      channels: {
        hook: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK' },
        queue: { type: 'kafka-dept' },
      },
      routing: { route: { departments: ['cg-3'] } },
      delivery: { poll: '100ms' },
    },
    { kafka: k, env: { HOOK: 'hook-secret' }, clock: systemClock, start: false },
  );
  await h.pipeline.start({ consume: true });
  const alerts = ['k1', 'k2', 'k3'].map((id) => exampleAlert({ alertId: id, createdAt: new Date().toISOString() }));
  await k.producer.send(TOPICS.alerts, [...alerts, alerts[0]!]);
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  await raw.send({ topic: `${k.prefix}${TOPICS.alerts.name}`, messages: [{ key: 'bad', value: '{"alertId":"bad"}' }] });

  await waitFor('three webhook deliveries', () => hook.accepted.size === 3, { timeoutMs: 20_000 });
  const notices = await k.readAll(departmentTopic('cg-3'), (m) => m.length >= 3);
  const byAlert = notices.map((m) => JSON.parse(String(m.value)) as DepartmentNotice);
  t.same(byAlert.map((n) => n.alert.alertId).sort(), ['k1', 'k2', 'k3'], 'one notice per alert on streetwatch.dept.cg-3.v1');
  t.ok(byAlert.every((n) => n.workOrderId.startsWith('wo-')), 'notices name the work order');
  await waitFor('all sent', async () => (await states(h.pool)).sent === 6);
  const events = await k.readAll(TOPICS.deliveries, (m) => m.filter((x) => String(x.value).includes('"sent"')).length >= 6);
  const parsed = events.map((m) => JSON.parse(String(m.value)) as Delivery);
  t.ok(parsed.every((e) => validate('Delivery', e).ok), 'Delivery events follow their contract');
  t.same(
    [...new Set(parsed.filter((e) => e.outcome === 'sent').map((e) => `${e.alertId}/${e.channel.name}`))].sort(),
    ['k1/hook', 'k1/queue', 'k2/hook', 'k2/queue', 'k3/hook', 'k3/queue'],
  );
  t.ok(parsed.some((e) => e.outcome === 'intent'), 'intents are events too');
  const dead = await k.readAll(dlqTopic(TOPICS.alerts), (m) => m.length >= 1);
  t.match(JSON.parse(String(dead[0]?.value)), { code: 'SW_CONTRACT_INVALID', key: 'bad' }, 'an invalid alert goes to the DLQ');
  const alertsRows = await h.pool.query('SELECT alert_id FROM router_alerts');
  t.equal(alertsRows.rowCount, 3, 'the replayed alert was recorded once');
});
