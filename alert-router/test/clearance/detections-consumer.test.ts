import t from 'tap';
import { parseConfig } from '@streetwatch/platform';
import { testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, dlqTopic, exampleDetection, type DetectionEvent } from '@streetwatch/schemas';
import { ClearanceConsumer, clearanceSettings } from '../../src/clearance/detections-consumer.js';
import { RouterConfig } from '../../src/config/schema.js';
import type { User } from '../../src/workorders/index.js';
import { alertFor, auth, harness, TOKENS } from '../workorders/fixtures/harness.js';

const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };

/** A detection for one violation on cam-03 (one key, so one partition: produced order = consumed order). */
function detection(violationId: string, phase: DetectionEvent['phase'], eventTime: string): DetectionEvent {
  return exampleDetection({ eventId: uniqueId('evt'), violationId, phase, eventTime, ...(phase === 'end' ? { endReason: 'left' as const } : {}) });
}

t.test('violation ends on the detections topic are attached to work orders as clearance evidence, once', async (t) => {
  const k = await testKafka(t, { label: 'clearance' });
  const h = await harness(t, k);
  const [a, b, c] = [alertFor(), alertFor(), alertFor()];
  const [woA, woB, woC] = [await h.wo.dispatch(a, 'dept-a'), await h.wo.dispatch(b, 'dept-a'), await h.wo.dispatch(c, 'dept-a')];
  const [vA, vB, vC] = [a.violationIds[0] as string, b.violationIds[0] as string, c.violationIds[0] as string];

  const consumer = new ClearanceConsumer(
    { groupId: uniqueId('router-clearance'), prefix: k.prefix },
    { kafka: k.kafka, producer: k.producer, registry: h.registry, log: k.log, workOrders: h.wo },
  );
  t.teardown(() => consumer.close());
  await consumer.start();

  // An update for C, then an invalid message, then A's end: same partition, consumed in this order.
  await k.producer.send(TOPICS.detections, [detection(vC, 'update', '2026-11-26T06:12:00.000Z')]);
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  await raw.send({ topic: `${k.prefix}${TOPICS.detections.name}`, messages: [{ key: 'cam-03', value: '{"phase":"end"}' }] });
  const endA = detection(vA, 'end', '2026-11-26T06:15:40.000Z');
  await k.producer.send(TOPICS.detections, [endA]);

  await waitFor('A cleared', async () => (await h.wo.get(staffA, woA.workOrderId)).clearedAt !== undefined, { timeoutMs: 20_000 });
  const res = await h.app.inject({ method: 'GET', url: `/api/work-orders/${woA.workOrderId}`, headers: auth(TOKENS.aStaff) });
  t.equal(res.statusCode, 200);
  const detail = res.json() as { clearedAt?: string; history: Array<{ action: string; note?: string }> };
  t.equal(detail.clearedAt, endA.eventTime, 'the API (what the console renders) shows the end’s event time');
  t.match(detail.history.at(-1), { action: 'violation_cleared', note: /^cleared at 14:15:40/ }, 'in the work order’s time zone');

  const cAfterUpdate = await h.wo.get(staffA, woC.workOrderId);
  t.notOk(cAfterUpdate.clearedAt, 'an update does not clear');
  t.notOk(cAfterUpdate.history.some((x) => x.action === 'violation_cleared'), 'an update adds no history');

  const dead = await k.readAll(dlqTopic(TOPICS.detections), (m) => m.length >= 1);
  t.match(JSON.parse(String(dead[0]?.value)), { code: 'SW_CONTRACT_INVALID' }, 'an invalid detection goes to the DLQ');

  // The same end again (a replay), then B's end as a marker: once B is cleared, the replay was consumed.
  await k.producer.send(TOPICS.detections, [endA, { ...endA, eventId: uniqueId('evt') }, detection(vB, 'end', '2026-11-26T06:20:00.000Z')]);
  await waitFor('B cleared', async () => (await h.wo.get(staffA, woB.workOrderId)).clearedAt !== undefined, { timeoutMs: 20_000 });
  const after = await h.wo.get(staffA, woA.workOrderId);
  t.equal(after.history.filter((x) => x.action === 'violation_cleared').length, 1, 'a replayed end attaches nothing twice');
  t.equal(after.clearedAt, endA.eventTime);
  t.notOk((await h.wo.get(staffA, woC.workOrderId)).clearedAt, 'C still open and uncleared');

  // Ends that do not show the spot clear (the camera stopped looking) attach nothing; B's end again
  // as a marker after them.
  await k.producer.send(TOPICS.detections, [
    { ...detection(vC, 'end', '2026-11-26T06:21:00.000Z'), endReason: 'camera_offline' },
    { ...detection(vC, 'end', '2026-11-26T06:21:30.000Z'), endReason: 'shutdown' },
    { ...detection(vC, 'end', '2026-11-26T06:22:00.000Z'), endReason: 'schedule' },
  ]);
  const notClearing = /streetwatch_router_violation_ends_total\{[^}]*outcome="not_clearing"[^}]*\} 3/;
  await waitFor('the three ends counted', async () => notClearing.test(await h.registry.metrics()), { timeoutMs: 20_000 });
  t.notOk((await h.wo.get(staffA, woC.workOrderId)).clearedAt, 'camera offline, shutdown and schedule ends are no clearance');

  // B's end is counted just after its clearance commits: wait for the count, not for the row.
  const attached = /streetwatch_router_violation_ends_total\{[^}]*outcome="attached"[^}]*\} 2/;
  await waitFor('ends counted', async () => attached.test(await h.registry.metrics()), { timeoutMs: 10_000 });
  const metrics = await h.registry.metrics();
  t.match(metrics, /streetwatch_router_violation_ends_total\{[^}]*outcome="kept"[^}]*\} 2/);
});

t.test('the router config turns the clearance consumer off, and names its own consumer group by default', async (t) => {
  const base = {
    consumer: { groupId: 'router-x' },
    departments: { d1: { name: 'D1', channels: ['queue'] } },
    channels: { queue: { type: 'kafka-dept' } },
    routing: { route: { departments: ['d1'] } },
  };
  const parse = (raw: object): RouterConfig => parseConfig(RouterConfig, raw, 'test') as RouterConfig;
  t.same(clearanceSettings(parse(base), 'p.'), { groupId: 'router-x-clearance', prefix: 'p.' }, 'absent section → on, group <router group>-clearance');
  t.same(clearanceSettings(parse({ ...base, clearance: { groupId: 'g' } }), ''), { groupId: 'g', prefix: '' }, 'enabled defaults to true');
  t.equal(clearanceSettings(parse({ ...base, clearance: { enabled: false } }), ''), undefined, 'enabled: false → no consumer');
  t.throws(() => parse({ ...base, clearance: { enabled: true, extra: 1 } }), 'unknown keys are rejected');
});
