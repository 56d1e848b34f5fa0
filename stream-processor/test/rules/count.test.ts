import t from 'tap';
import { TaskEngine } from '../../src/state/engine.js';
import { alertId } from '../../src/rules/alert.js';
import { at, config, det } from '../support/events.js';

const cfg = (grace = '5m') =>
  config(
    [{ id: 'repeat', kind: 'count', filters: { types: ['illegal_parking'] }, threshold: 3, window: '10m', grace, labels: { department: 'cg' } }],
    { time: { maxOutOfOrderness: '0s', idleTimeout: '0s' } },
  );
const engine = (c = cfg()) => new TaskEngine(0, c.rules, c.settings.time, 0);

t.test('a count rule fires on the third start within the window, not before', async (t) => {
  const e = engine();
  t.same(e.detections([det({ vid: 'v1', t: 0 }), det({ vid: 'v2', t: 240 })], 1).alerts, [], 'two starts: nothing');
  t.same(e.detections([det({ vid: 'v2', phase: 'update', t: 300, started: 240 })], 1).alerts, [], 'updates do not count');
  const out = e.detections([det({ vid: 'v3', t: 480 })], 1);
  t.equal(out.alerts.length, 1, 'third start fires');
  const a = out.alerts[0]!;
  t.equal(a.alertId, alertId('repeat', 'zone:cam-03/P1:illegal_parking', at(0)), 'id = rule + key + window start');
  t.same(a.violationIds, ['v1', 'v2', 'v3']);
  t.equal(a.count, 3);
  t.equal(a.window.start, new Date(at(0)).toISOString());
  t.equal(a.eventTime, new Date(at(480)).toISOString());
  t.equal(a.evidence.length, 3, 'evidence of every violation');
  t.same(a.site.cameraIds, ['cam-03']);
  t.equal(a.site.zoneId, 'P1');
  t.same(a.labels, { department: 'cg' });
  t.match(a.title, /3 illegal_parking starts in P1/);
});

t.test('starts spread wider than the window do not fire, and other types or zones do not mix', async (t) => {
  const e = engine();
  const out = e.detections(
    [det({ vid: 'a', t: 0 }), det({ vid: 'b', t: 300 }), det({ vid: 'c', t: 600 }), det({ vid: 'x', t: 610, zone: 'P2' }), det({ vid: 'y', t: 620, type: 'dumping' })],
    1,
  );
  t.same(out.alerts, [], 'the third start is exactly one window after the first');
  t.equal(e.detections([det({ vid: 'd', t: 620 })], 1).alerts.length, 1, 'b, c, d fall within 10 min');
});

t.test('a late start within grace completes a window; one beyond grace goes to the late output', async (t) => {
  const e = engine();
  e.detections([det({ vid: 'p1', t: 0 }), det({ vid: 'p2', t: 180 }), det({ vid: 'q1', t: 60, zone: 'P3' }), det({ vid: 'q2', t: 120, zone: 'P3' })], 1);
  e.detections([det({ vid: 'other', t: 720, zone: 'P2' })], 1); // watermark 12 min; grace 5 min: 7 min and later still count
  const ok = e.detections([det({ vid: 'p3', t: 480 })], 1);
  t.equal(ok.alerts.length, 1, 'a start 4 min behind the watermark still counts');
  t.same(ok.late, []);
  const tooLate = e.detections([det({ vid: 'q3', t: 180, zone: 'P3' })], 1);
  t.same(tooLate.alerts, [], 'it would have been the third start of P3, but it is 9 min behind the watermark');
  t.same(tooLate.late.map((x) => x.violationId), ['q3']);
  t.equal(tooLate.lateByRule.get('repeat'), 1);
});

t.test('starts that were reported are consumed and the cooldown holds back the next alert', async (t) => {
  const c = config(
    [{ id: 'r', kind: 'count', threshold: 2, window: '10m', cooldown: '15m' }],
    { time: { maxOutOfOrderness: '0s', idleTimeout: '0s' } },
  );
  const e = new TaskEngine(0, c.rules, c.settings.time, 0);
  t.equal(e.detections([det({ vid: '1', t: 0 }), det({ vid: '2', t: 60 })], 1).alerts.length, 1);
  t.same(e.detections([det({ vid: '3', t: 120 })], 1).alerts, [], 'one new start is not two');
  const held = e.detections([det({ vid: '4', t: 180 })], 1);
  t.same(held.alerts, [], 'two new starts, but within the cooldown');
  t.equal(held.suppressedBy.get('r|cooldown'), 1);
  t.equal(e.detections([det({ vid: '5', t: 1000 }), det({ vid: '6', t: 1010 })], 1).alerts.length, 1, 'after the cooldown');
});

t.test('a restored snapshot continues an open window', async (t) => {
  const c = cfg();
  const e = new TaskEngine(0, c.rules, c.settings.time, 0);
  e.detections([det({ vid: 'v1', t: 0 }), det({ vid: 'v2', t: 60 })], 1);
  const snap = JSON.parse(JSON.stringify(e.snapshot()));
  const restored = new TaskEngine(0, c.rules, c.settings.time, 0, snap);
  t.equal(restored.sizes().windows, 1);
  const out = restored.detections([det({ vid: 'v2', t: 60 }), det({ vid: 'v3', t: 120 })], 1);
  t.equal(out.alerts.length, 1, 'fires on the third distinct start (a repeated start is not counted twice)');
  t.equal(out.alerts[0]?.alertId, alertId('repeat', 'zone:cam-03/P1:illegal_parking', at(0)));
});

t.test('a schedule limits which starts count', async (t) => {
  const c = config(
    [{ id: 'day', kind: 'count', threshold: 2, window: '1h', schedule: { timezone: 'Asia/Shanghai', windows: [{ from: '08:00', to: '12:00' }] } }],
    { time: { maxOutOfOrderness: '0s', idleTimeout: '0s' } },
  );
  const e = new TaskEngine(0, c.rules, c.settings.time, 0);
  // T0 is 06:00 UTC = 14:00 in Shanghai: outside the schedule.
  t.same(e.detections([det({ vid: 'a', t: 0 }), det({ vid: 'b', t: 60 })], 1).alerts, []);
});
