/**
 * A flush dispatches its whole batch through dispatchMany, in one transaction: each pair once, the
 * ones that exist already reported as such, kept violation ends attached, one dispatch event each,
 * refs in the order given.
 */
import t from 'tap';
import { testKafka } from '@streetwatch/platform/testing';
import type { User } from '../../src/workorders/index.js';
import { alertFor, harness } from './fixtures/harness.js';

const sup: User = { id: 'zhou.sup', name: '周指挥', departmentId: 'command', role: 'supervisor' };

t.test('dispatchMany: new, existing, repeated and already-cleared pairs in one call', async (t) => {
  const k = await testKafka(t, { label: 'dispatch-many' });
  const h = await harness(t, k);
  const old = alertFor();
  const before = await h.wo.dispatch(old, 'dept-a');
  const fresh = [alertFor(), alertFor(), alertFor()];
  const cleared = fresh[2]!;
  await h.wo.attachClearance(cleared.violationIds[0] as string, new Date('2026-11-26T06:15:40.000Z'));

  const refs = await h.wo.dispatchMany([
    { alert: fresh[0]!, departmentId: 'dept-a' },
    { alert: old, departmentId: 'dept-a' },
    { alert: fresh[1]!, departmentId: 'dept-b' },
    { alert: fresh[0]!, departmentId: 'dept-a' },
    { alert: cleared, departmentId: 'dept-a' },
  ]);
  t.same(
    refs.map((r) => [r.alertId, r.departmentId, r.created]),
    [
      [fresh[0]!.alertId, 'dept-a', true],
      [old.alertId, 'dept-a', false],
      [fresh[1]!.alertId, 'dept-b', true],
      [fresh[0]!.alertId, 'dept-a', true],
      [cleared.alertId, 'dept-a', true],
    ],
    'refs in the order given; a pair given twice is one work order',
  );
  t.equal(refs[1]?.workOrderId, before.workOrderId, 'the existing order is reported, not made again');
  t.equal(refs[3]?.workOrderId, refs[0]?.workOrderId);
  t.equal(
    Number((await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM work_orders')).rows[0]?.n),
    4,
    'three new work orders, one old',
  );
  const history = await h.pool.query<{ work_order_id: string; seq: number; action: string }>(
    'SELECT work_order_id, seq, action FROM work_order_history WHERE work_order_id = ANY($1) ORDER BY work_order_id, seq',
    [refs.map((r) => r.workOrderId)],
  );
  const byOrder = (id: string | undefined): string[] => history.rows.filter((r) => r.work_order_id === id).map((r) => `${r.seq} ${r.action}`);
  t.same(byOrder(refs[0]?.workOrderId), ['1 dispatched'], 'one dispatch event per new order');
  t.same(byOrder(refs[2]?.workOrderId), ['1 dispatched']);
  t.same(byOrder(refs[4]?.workOrderId), ['1 dispatched', '2 violation_cleared'], 'the kept end attached after its dispatch');
  t.same(byOrder(before.workOrderId), ['1 dispatched'], 'nothing written for the existing order');
  const detail = await h.wo.get(sup, refs[4]?.workOrderId as string);
  t.equal(detail.clearedAt, '2026-11-26T06:15:40.000Z', 'the already-ended violation shows "cleared at"');
  t.same(detail.history.map((x) => x.action), ['dispatched', 'violation_cleared']);
  const plain = await h.wo.get(sup, refs[0]?.workOrderId as string);
  t.same(plain.history.map((x) => [x.action, x.toStatus]), [['dispatched', 'dispatched']]);
  t.ok(plain.deadline, 'with its sign deadline');
  t.same(await h.wo.dispatchMany([]), []);
});
