import t from 'tap';
import { ContractProducer, createRegistry } from '@streetwatch/platform';
import { testKafka, waitFor, type TeardownHost, type TestKafka } from '@streetwatch/platform/testing';
import type { WorkOrderEvent } from '@streetwatch/schemas';
import { pack } from '../../src/workorders/fanout.js';
import type { StreamMessage } from '../../src/workorders/feed.js';
import { createWorkOrderService, type User, type WorkOrders } from '../../src/workorders/index.js';
import { alertFor, harness, type Harness } from '../workorders/fixtures/harness.js';

const sup: User = { id: 'zhou.sup', name: '周指挥', departmentId: 'command', role: 'supervisor' };
const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };
const staffB: User = { id: 'zhao.staff', name: '赵强', departmentId: 'dept-b', role: 'staff' };

/** A second router instance's work-order half on the same database. */
async function secondInstance(t: TeardownHost, h: Harness, kafka: TestKafka): Promise<WorkOrders> {
  const registry = createRegistry('alert-router-b');
  const producer = new ContractProducer({ prefix: kafka.prefix }, { kafka: kafka.kafka, registry });
  t.teardown(() => producer.close());
  const b = createWorkOrderService(h.wo.config, { pool: h.pool, producer, notifier: h.notifier, registry, log: kafka.log, clock: h.clock });
  t.teardown(() => b.close());
  await b.start();
  return b;
}

function listen(wo: WorkOrders, user: User): StreamMessage[] {
  const got: StreamMessage[] = [];
  wo.hub.subscribe({ user, send: (m) => void got.push(m), end: () => undefined });
  return got;
}

t.test('console feed across router instances', async (t) => {
  const kafka = await testKafka(t, { label: 'fanout' });

  t.test('a console on one instance sees, live, what happens through another', async (t) => {
    const h = await harness(t, kafka);
    const b = await secondInstance(t, h, kafka);
    const onB = listen(b, sup);
    const onA = listen(h.wo, sup);
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, ref.workOrderId, 'sign');
    const seen = await waitFor('both events on B', () => (onB.length >= 2 ? onB : null), { timeoutMs: 10_000 });
    t.same(seen.map((m) => m.event.action), ['dispatched', 'signed'], 'in order');
    t.equal(seen[1]?.order.status, 'signed', 'with the work order as it is after the event');
    t.equal(seen[0]?.id.split('-')[0], b.hub.epoch, 'B’s own stream ids (Last-Event-ID replays against B)');
    await h.wo.hub.idle();
    t.same(onA.map((m) => m.event.action), ['dispatched', 'signed'], 'the instance that did it pushes each event once, no echo');
  });

  t.test('another department’s console on the other instance does not see it', async (t) => {
    const h = await harness(t, kafka);
    const b = await secondInstance(t, h, kafka);
    const deptB = listen(b, staffB);
    const deptA = listen(b, staffA);
    await h.wo.dispatch(alertFor(), 'dept-a');
    await waitFor('dept-a sees it on B', () => deptA.length >= 1, { timeoutMs: 10_000 });
    await b.hub.idle();
    t.equal(deptB.length, 0);
  });

  t.test('a console-channel notice published on one instance reaches the others', async (t) => {
    const h = await harness(t, kafka);
    const b = await secondInstance(t, h, kafka);
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    const onB = listen(b, staffA);
    const notice: WorkOrderEvent = {
      schemaVersion: 1,
      eventId: 'console-test-1',
      workOrderId: ref.workOrderId,
      alertId: ref.alertId,
      departmentId: 'dept-a',
      action: 'escalated',
      status: 'dispatched',
      actor: { kind: 'system', id: 'alert-router', role: 'system' },
      note: '未签收 not signed in time',
      at: '2026-11-26T06:20:00.000Z',
    };
    h.wo.feed.publish('dept-a', notice);
    const got = await waitFor('the notice on B', () => onB.find((m) => m.event.eventId === 'console-test-1'), { timeoutMs: 10_000 });
    t.equal(got.order.id, ref.workOrderId);
  });
});

t.test('announcements fit PostgreSQL’s NOTIFY limit: long notes are shortened, many events split', async (t) => {
  const event = (i: number, note: string): WorkOrderEvent => ({
    schemaVersion: 1,
    eventId: `wo-x:${i}`,
    workOrderId: 'wo-x',
    alertId: 'al-x',
    departmentId: 'dept-a',
    action: 'feedback',
    status: 'handled',
    actor: { kind: 'user', id: 'u', role: 'staff' },
    note,
    at: '2026-11-26T06:20:00.000Z',
  });
  const long = pack('abcd', [{ d: 'dept-a', e: event(1, '处'.repeat(4000)) }]);
  t.equal(long.length, 1);
  t.ok(Buffer.byteLength(long[0] as string) < 8000);
  t.match(JSON.parse(long[0] as string).items[0].e.note, /…$/);
  const many = pack('abcd', Array.from({ length: 100 }, (_, i) => ({ d: 'dept-a', e: event(i, 'x'.repeat(200)) })));
  t.ok(many.length > 1, `${many.length} payloads`);
  t.ok(many.every((p) => Buffer.byteLength(p) < 8000));
  t.equal(many.flatMap((p) => JSON.parse(p).items).length, 100, 'none lost');
});
