import t from 'tap';
import { parseConfig } from '@streetwatch/platform';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import { chainFor, dueLevels, levelAt, stepAllowanceS } from '../../src/workorders/deadlines.js';
import { WorkOrdersConfig, type User } from '../../src/workorders/index.js';
import { alertFor, harness } from './fixtures/harness.js';

const staffA: User = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' };
const headA: User = { id: 'wang.head', name: '王芳', departmentId: 'dept-a', role: 'head' };
const MIN = 60_000;

const chain = { steps: [{ afterS: 0, target: 'on-duty' }, { afterS: 300, target: 'head' }, { afterS: 900, target: 'next-level' }], repeatEveryS: 600, maxLevels: 5 };

t.test('deadlines come from the type override, else the default; chains from the department, else the default', async (t) => {
  const c = parseConfig(WorkOrdersConfig, {
    deadlines: { byType: { dumping: { signWithinS: 1800 } } },
    escalation: { default: chain },
    departments: [{ id: 'd1', name: 'D1', escalation: { steps: [{ afterS: 0, target: 'head' }] } }],
  });
  t.equal(stepAllowanceS(c, 'dumping', 'sign'), 1800);
  t.equal(stepAllowanceS(c, 'dumping', 'handle'), 7200, 'not overridden: the default');
  t.equal(stepAllowanceS(c, 'illegal_parking', 'sign'), 600);
  t.same(chainFor(c, 'd1').steps, [{ afterS: 0, target: 'head' }]);
  t.equal(chainFor(c, 'd1').repeatEveryS, 1800, 'defaults filled in');
  t.equal(chainFor(c, 'other').steps.length, 3);
  const d = new Date('2026-01-01T00:00:00Z');
  t.equal(levelAt(c.escalation.default!, d, 4)?.dueAt.toISOString(), '2026-01-01T00:25:00.000Z', 'past the chain: the last step repeats');
  t.equal(levelAt(c.escalation.default!, d, 4)?.target, 'next-level');
  t.equal(levelAt(c.escalation.default!, d, 6), null, 'maxLevels caps the chain');
  const due = dueLevels(c.escalation.default!, d, 0, new Date('2026-01-01T00:06:00Z'));
  t.same(due.due.map((l) => l.level), [1, 2]);
  t.equal(due.nextAt?.toISOString(), '2026-01-01T00:15:00.000Z');
  t.throws(() => parseConfig(WorkOrdersConfig, { deadlines: { byType: { parking: {} } } }), { code: 'SW_CONFIG_INVALID' }, 'unknown type refused');
});

t.test('escalation', async (t) => {
  const kafka = await testKafka(t, { label: 'esc' });

  t.test('a missed deadline escalates through the chain in order as the clock advances, each level once', async (t) => {
    const h = await harness(t, kafka, { escalation: { tickIntervalMs: 600000, default: chain } });
    const ref = await h.wo.dispatch(alertFor(), 'dept-a'); // sign by 06:20
    const id = ref.workOrderId;

    h.clock.advance(9 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 0, notified: 0 }, 'before the deadline nothing happens');
    h.clock.advance(1 * MIN); // 06:20 = deadline
    t.same(await h.wo.runEscalations(), { fired: 1, notified: 1 });
    t.same(await h.wo.runEscalations(), { fired: 0, notified: 0 }, 'running again at the same time is a no-op');
    h.clock.advance(4 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 0, notified: 0 });
    h.clock.advance(1 * MIN); // +5 min: head
    t.same(await h.wo.runEscalations(), { fired: 1, notified: 1 });
    h.clock.advance(30 * MIN); // +35 min: next-level (+15) and two repeats (+25, +35)
    t.same(await h.wo.runEscalations(), { fired: 3, notified: 3 }, 'a late pass fires every level now due');
    h.clock.advance(120 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 0, notified: 0 }, 'maxLevels reached: the chain stops');

    t.same(
      h.notifier.calls.map((c) => [c.target, c.key]),
      [
        ['on-duty', `${id}:sign-1:1`],
        ['head', `${id}:sign-1:2`],
        ['next-level', `${id}:sign-1:3`],
        ['next-level', `${id}:sign-1:4`],
        ['next-level', `${id}:sign-1:5`],
      ],
      'notified in chain order with keys workOrderId:step-round:level',
    );
    t.ok(h.notifier.calls.every((c) => c.departmentId === 'dept-a' && c.alert.alertId === ref.alertId && c.workOrderId === id));
    const d = await h.wo.get(headA, id);
    t.equal(d.escalationLevel, 5);
    t.equal(d.escalations.length, 5);
    t.ok(d.escalations.every((e) => e.notifiedAt));
    const escalated = d.history.filter((x) => x.action === 'escalated');
    t.equal(escalated.length, 5, 'each level is a work-order event too');
    t.match(escalated[1]?.note, /sign overdue.*level 2 → head/);
    const metrics = await h.registry.metrics();
    t.match(metrics, /streetwatch_workorder_escalations_total\{department="dept-a",step="sign",target="next-level"[^}]*\} 3/);
  });

  t.test('a failed notice is retried with the same key and later levels wait for it', async (t) => {
    const h = await harness(t, kafka, { escalation: { tickIntervalMs: 600000, default: chain } });
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    h.notifier.failNext = 1;
    h.clock.advance(10 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 1, notified: 0 }, 'recorded, but the notice failed');
    h.clock.advance(5 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 1, notified: 2 }, 'retried level 1, then level 2');
    t.same(h.notifier.calls.map((c) => c.key), [`${ref.workOrderId}:sign-1:1`, `${ref.workOrderId}:sign-1:1`, `${ref.workOrderId}:sign-1:2`]);
    t.equal(h.notifier.delivered.size, 2, 'each key delivered once');
    const rows = await h.pool.query('SELECT level, attempts, last_error FROM work_order_escalations ORDER BY level');
    t.match(rows.rows[0], { level: 1, attempts: 2, last_error: 'channel down' });
  });

  t.test('signing stops the sign chain; the next step has its own deadline and keys', async (t) => {
    const h = await harness(t, kafka, { escalation: { tickIntervalMs: 600000, default: chain } });
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    h.clock.advance(10 * MIN);
    h.notifier.failNext = 1;
    await h.wo.runEscalations(); // level 1 recorded, notice failed
    await h.wo.act(staffA, ref.workOrderId, 'sign', {});
    h.clock.advance(10 * MIN);
    t.same(await h.wo.runEscalations(), { fired: 0, notified: 0 }, 'the pending sign notice is cancelled, not sent late');
    const cancelled = await h.pool.query('SELECT cancelled_at FROM work_order_escalations');
    t.ok(cancelled.rows[0].cancelled_at);

    h.clock.advance(110 * MIN); // handle deadline = sign (06:20) + 2 h
    t.same(await h.wo.runEscalations(), { fired: 1, notified: 1 });
    t.equal(h.notifier.calls.at(-1)?.key, `${ref.workOrderId}:handle-2:1`);
    await h.wo.act(staffA, ref.workOrderId, 'handle', { feedback: 'done' });
    await h.wo.act(headA, ref.workOrderId, 'reject', { note: '未处理完' });
    h.clock.advance(121 * MIN);
    await h.wo.runEscalations();
    t.equal(h.notifier.calls.at(-1)?.key, `${ref.workOrderId}:handle-4:1`, 'a second handle phase escalates under new keys');
  });

  t.test('the timer loop runs passes by itself', async (t) => {
    const h = await harness(t, kafka, { escalation: { tickIntervalMs: 20, default: chain } });
    await h.wo.dispatch(alertFor(), 'dept-a');
    h.clock.advance(11 * MIN);
    await waitFor('a notice from the timer', () => h.notifier.calls.length === 1, { timeoutMs: 10000, intervalMs: 20 });
    t.equal(h.notifier.calls[0]?.target, 'on-duty');
    // The pass refreshes the open-orders gauge after it notified: wait for it, do not race it.
    const open = /streetwatch_workorders_open\{department="dept-a",status="dispatched"[^}]*\} 1/;
    await waitFor('the open gauge', async () => open.test(await h.registry.metrics()), { timeoutMs: 10000, intervalMs: 20 });
    t.pass('the timer pass also refreshes the open-orders gauge');
  });
});
