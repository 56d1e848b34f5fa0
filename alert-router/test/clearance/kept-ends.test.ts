import t from 'tap';
import { parseConfig } from '@streetwatch/platform';
import { testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { Type } from '@sinclair/typebox';
import { TOPICS, exampleDetection, type DetectionEvent } from '@streetwatch/schemas';
import { ClearanceConsumer } from '../../src/clearance/detections-consumer.js';
import { RetentionConfig } from '../../src/config/schema.js';
import { RetentionJob } from '../../src/retention/job.js';
import { ManualClock } from '@streetwatch/platform';
import type { User } from '../../src/workorders/index.js';
import { alertFor, auth, harness, TOKENS } from '../workorders/fixtures/harness.js';

const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };
const staffB: User = { id: 'zhao.staff', name: '赵强', departmentId: 'dept-b', role: 'staff' };
const sup: User = { id: 'zhou.sup', name: '周指挥', departmentId: 'command', role: 'supervisor' };

function end(violationId: string, eventTime: string): DetectionEvent {
  return exampleDetection({ eventId: uniqueId('evt'), violationId, phase: 'end', eventTime, endReason: 'left' });
}

t.test('violation ends kept for work orders created later', async (t) => {
  const k = await testKafka(t, { label: 'kept-ends' });

  t.test('an end consumed before its work order exists is attached when the work order is created', async (t) => {
    const h = await harness(t, k);
    const consumer = new ClearanceConsumer(
      { groupId: uniqueId('router-clearance'), prefix: k.prefix },
      { kafka: k.kafka, producer: k.producer, registry: h.registry, log: k.log, workOrders: h.wo },
    );
    t.teardown(() => consumer.close());
    await consumer.start();
    const alert = alertFor();
    const v = alert.violationIds[0] as string;
    await k.producer.send(TOPICS.detections, [end(v, '2026-11-26T06:15:40.000Z')]);
    await waitFor('the end kept', async () => (await h.pool.query('SELECT 1 FROM violation_ends WHERE violation_id = $1', [v])).rowCount, {
      timeoutMs: 20_000,
    });
    t.match(await h.registry.metrics(), /streetwatch_router_violation_ends_total\{[^}]*outcome="kept"[^}]*\} 1/, 'counted as kept');

    const ref = await h.wo.dispatch(alert, 'dept-a');
    const res = await h.app.inject({ method: 'GET', url: `/api/work-orders/${ref.workOrderId}`, headers: auth(TOKENS.aStaff) });
    const detail = res.json() as { clearedAt?: string; status: string; history: Array<{ action: string; note?: string }> };
    t.equal(detail.clearedAt, '2026-11-26T06:15:40.000Z', 'the work order shows "cleared at" from the start');
    t.equal(detail.status, 'dispatched', 'still waiting to be signed: closing stays a human step');
    t.same(detail.history.map((x) => x.action), ['dispatched', 'violation_cleared']);
    t.match(detail.history[1]?.note, /^cleared at 14:15:40/);
    t.equal((await h.wo.dispatch(alert, 'dept-a')).created, false);
    t.equal((await h.wo.get(staffA, ref.workOrderId)).history.length, 2, 'a repeated dispatch attaches nothing again');
  });

  t.test('a kept end reaches every department’s work order, and a re-dispatched one', async (t) => {
    const h = await harness(t, k);
    const alert = alertFor();
    const v = alert.violationIds[0] as string;
    t.equal(await h.wo.attachClearance(v, new Date('2026-11-26T06:15:40.000Z')), 0, 'no work order yet');
    const a = await h.wo.dispatch(alert, 'dept-a');
    await h.wo.act(staffA, a.workOrderId, 'return', { reason: '不属于本科室' });
    const moved = await h.wo.act(sup, a.workOrderId, 'redispatch', { departmentId: 'dept-b' });
    const bId = moved.redispatchedTo as string;
    t.equal((await h.wo.get(staffB, bId)).clearedAt, '2026-11-26T06:15:40.000Z', 'the re-dispatched order carries the clearance');
    t.equal((await h.wo.get(staffA, a.workOrderId)).clearedAt, '2026-11-26T06:15:40.000Z');
  });

  t.test('an alert with two violations is cleared once both ended, one before and one after dispatch', async (t) => {
    const h = await harness(t, k);
    const alert = alertFor({ violationIds: [`vio-${uniqueId()}`, `vio-${uniqueId()}`] });
    const [v1, v2] = alert.violationIds as [string, string];
    await h.wo.attachClearance(v1, new Date('2026-11-26T06:15:40.000Z'));
    const ref = await h.wo.dispatch(alert, 'dept-a');
    const half = await h.wo.get(staffA, ref.workOrderId);
    t.notOk(half.clearedAt, 'one of two ended: not cleared yet');
    t.match(half.history.at(-1)?.note, /\(1\/2\)/);
    t.equal(await h.wo.attachClearance(v2, new Date('2026-11-26T06:20:00.000Z')), 1);
    t.equal((await h.wo.get(staffA, ref.workOrderId)).clearedAt, '2026-11-26T06:20:00.000Z');
  });

  t.test('an end and a dispatch of the same violation at the same moment: attached exactly once', async (t) => {
    const h = await harness(t, k);
    const alerts = Array.from({ length: 20 }, () => alertFor());
    await Promise.all(
      alerts.flatMap((a) => [h.wo.attachClearance(a.violationIds[0] as string, new Date('2026-11-26T06:15:40.000Z')), h.wo.dispatch(a, 'dept-a')]),
    );
    for (const a of alerts) {
      const r = await h.pool.query<{ id: string }>('SELECT id FROM work_orders WHERE alert_id = $1', [a.alertId]);
      const d = await h.wo.get(staffA, r.rows[0]?.id as string);
      t.equal(d.history.filter((x) => x.action === 'violation_cleared').length, 1, `${a.alertId}: one clearance`);
    }
  });

  t.test('a kept end past its retention is gone: a work order created later shows no clearance', async (t) => {
    const h = await harness(t, k);
    const alert = alertFor();
    await h.wo.attachClearance(alert.violationIds[0] as string, new Date('2026-11-26T06:15:40.000Z'));
    const cfg = (parseConfig(Type.Object({ retention: RetentionConfig }), { retention: { violationEnds: '7d' } }, 'test') as { retention: RetentionConfig })
      .retention;
    const clock = new ManualClock(h.clock.now() + 6 * 86_400_000);
    const job = new RetentionJob(cfg, { pool: h.pool, log: k.log, registry: h.registry, clock });
    t.teardown(() => job.close());
    t.equal((await job.runOnce()).deleted.violation_ends, 0, 'kept for 7 days');
    clock.advance(2 * 86_400_000);
    t.equal((await job.runOnce()).deleted.violation_ends, 1, 'then expired');
    const ref = await h.wo.dispatch(alert, 'dept-a');
    t.notOk((await h.wo.get(staffA, ref.workOrderId)).clearedAt);
  });
});
