import t from 'tap';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, validate, type WorkOrderEvent } from '@streetwatch/schemas';
import type { User } from '../../src/workorders/index.js';
import { alertFor, harness } from './fixtures/harness.js';

const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };
const headA: User = { id: 'wang.head', name: '王芳', departmentId: 'dept-a', role: 'head' };
const staffB: User = { id: 'zhao.staff', name: '赵强', departmentId: 'dept-b', role: 'staff' };
const sup: User = { id: 'zhou.sup', name: '周指挥', departmentId: 'command', role: 'supervisor' };

t.test('work orders', async (t) => {
  const kafka = await testKafka(t, { label: 'wo' });

  t.test('the full lifecycle is stored as history and produced to Kafka in order per work order', async (t) => {
    const h = await harness(t, kafka);
    const alert = alertFor();
    const ref = await h.wo.dispatch(alert, 'dept-a');
    t.equal(ref.created, true);
    t.equal(ref.status, 'dispatched');

    h.clock.advance(3 * 60_000);
    await h.wo.act(staffA, ref.workOrderId, 'sign', { note: '收到' });
    h.clock.advance(20 * 60_000);
    await h.wo.act(staffA, ref.workOrderId, 'handle', { feedback: '已劝离车辆' });
    await h.wo.act(headA, ref.workOrderId, 'reject', { note: '车辆仍在' });
    await h.wo.act(staffA, ref.workOrderId, 'handle', { feedback: '已拖离' });
    await h.wo.act(staffA, ref.workOrderId, 'feedback', { feedback: '补充：已贴告知单' });
    await h.wo.act(headA, ref.workOrderId, 'verify', {});
    const done = await h.wo.act(headA, ref.workOrderId, 'close', { note: '结案' });

    t.equal(done.status, 'closed');
    t.equal(done.resolution, 'resolved');
    t.equal(done.signedBy, 'li.staff');
    t.equal(done.closedBy, 'wang.head');
    t.equal(done.feedback, '补充：已贴告知单');
    const actions = done.history.map((x) => `${x.action}:${x.toStatus}`);
    t.same(actions, [
      'dispatched:dispatched',
      'signed:signed',
      'handled:handled',
      'verify_rejected:signed',
      'handled:handled',
      'feedback:handled',
      'verified:verified',
      'closed:closed',
    ]);
    t.equal(done.history[0]?.deadline, '2026-11-26T06:20:00.000Z', 'sign deadline = dispatch + 10 min (default)');
    t.equal(done.history[1]?.deadline, '2026-11-26T08:13:00.000Z', 'handle deadline = sign + 2 h');
    t.match(done.history[3]?.note, /rejected: 车辆仍在/);
    t.notOk(done.deadline, 'a closed order has no running deadline');

    const got = await kafka.readAll(TOPICS.workOrders, (m) => m.filter((x) => x.key?.toString() === ref.workOrderId).length >= 8);
    const mine = got.filter((m) => m.key?.toString() === ref.workOrderId);
    const events = mine.map((m) => JSON.parse(String(m.value)) as WorkOrderEvent);
    t.equal(new Set(mine.map((m) => m.partition)).size, 1, 'one partition per work order');
    t.same(events.map((e) => e.eventId), done.history.map((x) => x.eventId), 'Kafka order = history order');
    t.ok(events.every((e) => validate('WorkOrderEvent', e).ok), 'every event satisfies the contract');
    t.same(events[1]?.actor, { kind: 'user', id: 'li.staff', role: 'staff' });
    t.equal(events[0]?.deadline, '2026-11-26T06:20:00.000Z');
    await waitFor('outbox drained', async () => (await h.pool.query('SELECT count(*)::int AS n FROM work_order_outbox')).rows[0].n === 0);

    const metrics = await h.registry.metrics();
    t.match(metrics, /streetwatch_workorder_time_to_sign_seconds_count\{[^}]*department="dept-a"[^}]*\} 1/);
    t.match(metrics, /streetwatch_workorder_time_to_close_seconds_sum\{[^}]*department="dept-a"[^}]*\} 1380/);
  });

  t.test('dispatch is idempotent per alert and department', async (t) => {
    const h = await harness(t, kafka);
    const alert = alertFor();
    const a = await h.wo.dispatch(alert, 'dept-a');
    const again = await h.wo.dispatch(alert, 'dept-a');
    const b = await h.wo.dispatch(alert, 'dept-b');
    t.equal(again.created, false);
    t.equal(again.workOrderId, a.workOrderId);
    t.not(b.workOrderId, a.workOrderId, 'another department gets its own work order');
    const rows = await h.pool.query('SELECT department_id FROM work_orders WHERE alert_id = $1 ORDER BY 1', [alert.alertId]);
    t.same(rows.rows.map((r) => r.department_id), ['dept-a', 'dept-b']);
    const hist = await h.pool.query('SELECT count(*)::int AS n FROM work_order_history WHERE work_order_id = $1', [a.workOrderId]);
    t.equal(hist.rows[0].n, 1, 'one dispatched event, not two');
  });

  t.test('a return needs a reason and goes back to the supervisor, who re-dispatches it', async (t) => {
    const h = await harness(t, kafka);
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    await t.rejects(h.wo.act(staffA, ref.workOrderId, 'return', { reason: '  ' }), {
      code: 'SW_ROUTER_INVALID_INPUT',
      fields: [{ path: 'body/reason' }],
    });
    const returned = await h.wo.act(staffA, ref.workOrderId, 'return', { reason: '非本科室辖区 not our area' });
    t.equal(returned.status, 'returned');
    t.equal(returned.returnReason, '非本科室辖区 not our area');
    t.same(returned.actions, [], 'staff can do nothing more with a returned order');

    const supList = await h.wo.list(sup, { status: 'open', limit: 50, offset: 0 });
    t.ok(supList.items.some((x) => x.id === ref.workOrderId && x.actions?.includes('redispatch')), 'the supervisor sees it, with re-dispatch');
    const aList = await h.wo.list(staffA, { status: 'open', limit: 50, offset: 0 });
    t.notOk(aList.items.some((x) => x.id === ref.workOrderId), 'no longer open for the department');

    await t.rejects(h.wo.act(headA, ref.workOrderId, 'redispatch', { departmentId: 'dept-b' }), { code: 'SW_ROUTER_WO_ROLE_FORBIDDEN' });
    await t.rejects(h.wo.act(sup, ref.workOrderId, 'redispatch', { departmentId: 'dept-x' }), { code: 'SW_ROUTER_WO_UNKNOWN_DEPARTMENT' });
    await h.wo.act(sup, ref.workOrderId, 'redispatch', { departmentId: 'dept-b', note: '转市场监管' });
    const old = await h.wo.get(sup, ref.workOrderId);
    t.ok(old.redispatchedTo, 'the returned order points to its successor');
    const supAfter = await h.wo.list(sup, { status: 'open', limit: 50, offset: 0 });
    t.notOk(supAfter.items.some((x) => x.id === ref.workOrderId), 're-dispatched: off the supervisor’s open list');
    const moved = await h.wo.get(staffB, old.redispatchedTo as string);
    t.equal(moved.status, 'dispatched');
    t.equal(moved.departmentId, 'dept-b');
    t.equal(moved.redispatchedFrom, ref.workOrderId);
    t.match(moved.history[0]?.note, /转市场监管.*from dept-a/);
    await h.wo.act(staffB, moved.id, 'sign', {});

    // Back to the same department also works: returned → dispatched with a fresh sign deadline.
    const second = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act(staffA, second.workOrderId, 'return', { reason: '信息不全' });
    h.clock.advance(60_000);
    const again = await h.wo.act(sup, second.workOrderId, 'redispatch', { departmentId: 'dept-a' });
    t.equal(again.status, 'dispatched');
    t.equal(again.deadline?.at, '2026-11-26T06:21:00.000Z');
    t.notOk(again.returnReason);
    await h.wo.act(staffA, second.workOrderId, 'sign', {});
  });

  t.test('an action not allowed in the current status is refused with a clear code and changes nothing', async (t) => {
    const h = await harness(t, kafka);
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    await t.rejects(h.wo.act(headA, ref.workOrderId, 'close', {}), {
      code: 'SW_ROUTER_WO_INVALID_TRANSITION',
      status: 409,
      details: { action: 'close', status: 'dispatched', allowedFrom: ['verified'] },
    });
    await t.rejects(h.wo.act(staffA, ref.workOrderId, 'handle', { feedback: 'x' }), { code: 'SW_ROUTER_WO_INVALID_TRANSITION' });
    await h.wo.act(staffA, ref.workOrderId, 'sign', {});
    await t.rejects(h.wo.act(staffA, ref.workOrderId, 'sign', {}), { code: 'SW_ROUTER_WO_INVALID_TRANSITION' }, 'signing twice');
    await t.rejects(h.wo.act(staffA, ref.workOrderId, 'verify', {}), { code: 'SW_ROUTER_WO_ROLE_FORBIDDEN' }, 'staff cannot verify');
    await t.rejects(h.wo.act(staffB, ref.workOrderId, 'handle', { feedback: 'x' }), { code: 'SW_ROUTER_WO_NOT_FOUND' }, 'other department');
    const d = await h.wo.get(staffA, ref.workOrderId);
    t.equal(d.status, 'signed');
    t.equal(d.history.length, 2);
  });

  t.test('a violation end is attached as "cleared at HH:MM:SS" evidence, once', async (t) => {
    const h = await harness(t, kafka);
    const single = alertFor();
    const multi = alertFor({ ruleKind: 'count', violationIds: ['vio-m1', 'vio-m2'] });
    const a = await h.wo.dispatch(single, 'dept-a');
    const b = await h.wo.dispatch(multi, 'dept-a');
    const clearedAt = new Date('2026-11-26T06:15:40.000Z'); // 14:15:40 in Asia/Shanghai
    t.equal(await h.wo.attachClearance(single.violationIds[0] as string, clearedAt), 1);
    t.equal(await h.wo.attachClearance(single.violationIds[0] as string, clearedAt), 0, 'idempotent');
    const d = await h.wo.get(staffA, a.workOrderId);
    t.equal(d.clearedAt, clearedAt.toISOString());
    t.equal(d.history.at(-1)?.action, 'violation_cleared');
    t.match(d.history.at(-1)?.note, /^cleared at 14:15:40/);

    t.equal(await h.wo.attachClearance('vio-m1', clearedAt), 1);
    t.notOk((await h.wo.get(staffA, b.workOrderId)).clearedAt, 'one of two violations ended: not yet cleared');
    t.equal(await h.wo.attachClearance('vio-m2', new Date('2026-11-26T06:16:00.000Z')), 1);
    const m = await h.wo.get(staffA, b.workOrderId);
    t.equal(m.clearedAt, '2026-11-26T06:16:00.000Z');
    t.match(m.history.at(-1)?.note, /2\/2/);
  });

  t.test('false positives and duplicates are counted per zone and camera', async (t) => {
    const h = await harness(t, kafka);
    const a1 = await h.wo.dispatch(alertFor({}, { zoneId: 'P1', cameraIds: ['cam-03'] }), 'dept-a');
    const a2 = await h.wo.dispatch(alertFor({}, { zoneId: 'P1', cameraIds: ['cam-03'] }), 'dept-a');
    await h.wo.dispatch(alertFor({}, { zoneId: 'P1', cameraIds: ['cam-03'] }), 'dept-a');
    const a4 = await h.wo.dispatch(alertFor({}, { zoneId: 'V2', cameraIds: ['cam-07', 'cam-08'] }), 'dept-a');
    await t.rejects(h.wo.act(staffA, a1.workOrderId, 'mark_false_positive', {}), { code: 'SW_ROUTER_WO_ROLE_FORBIDDEN' });
    const fp = await h.wo.act(headA, a1.workOrderId, 'mark_false_positive', { note: '是路锥' });
    t.equal(fp.status, 'closed');
    t.equal(fp.resolution, 'false_positive');
    await h.wo.act(headA, a2.workOrderId, 'mark_duplicate', { duplicateOf: 'al-other' });
    await h.wo.act(sup, a4.workOrderId, 'mark_false_positive', {});
    const p = await h.wo.precision();
    const p1 = p.find((x) => x.zoneId === 'P1' && x.cameraId === 'cam-03');
    t.match(p1, { alerts: 3, falsePositives: 1, duplicates: 1 });
    t.equal(Math.round((p1?.precision ?? 0) * 1000), 667);
    t.match(p.find((x) => x.cameraId === 'cam-08'), { zoneId: 'V2', alerts: 1, falsePositives: 1, precision: 0 });
    const metrics = await h.registry.metrics();
    t.match(metrics, /streetwatch_alert_feedback_total\{kind="false_positive",type="illegal_parking",zone="P1",camera="cam-03"[^}]*\} 1/);
    t.match(metrics, /streetwatch_alert_feedback_total\{kind="duplicate",type="illegal_parking",zone="P1",camera="cam-03"[^}]*\} 1/);
  });
});
