import t from 'tap';
import { TaskEngine } from '../../src/state/engine.js';
import { alertId } from '../../src/rules/alert.js';
import { at, config, det } from '../support/events.js';

// Out-of-orderness 10 s, grace 5 s: a timer due at D fires once the watermark reaches D + 5 s,
// i.e. once an event at D + 15 s has been seen on the partition.
const c = config([{ id: 'dwell5', kind: 'dwell', minDuration: '5m', grace: '5s' }], {
  time: { maxOutOfOrderness: '10s', idleTimeout: '30s' },
});
const engine = () => new TaskEngine(0, c.rules, c.settings.time, 0);

t.test('a dwell timer fires when the watermark passes start + duration + grace, not before', async (t) => {
  const e = engine();
  e.detections([det({ vid: 'car', t: 0 })], 1);
  t.same(e.detections([det({ vid: 'other', t: 314, cam: 'cam-09' })], 1).alerts, [], 'watermark 304 s: 1 s short of due + grace');
  const out = e.detections([det({ vid: 'other2', t: 315, cam: 'cam-09' })], 1);
  t.equal(out.alerts.length, 1);
  const a = out.alerts[0]!;
  t.equal(a.alertId, alertId('dwell5', 'violation:car', 'car'), 'id = rule + violation');
  t.equal(a.eventTime, new Date(at(300)).toISOString(), 'event time of the alert is start + 5 min');
  t.same(a.violationIds, ['car']);
  t.equal(a.ruleKind, 'dwell');
  t.equal(e.detections([det({ vid: 'other3', t: 600, cam: 'cam-09' })], 1).alerts.length, 0, 'fires once');
});

t.test("a violation's end before the duration cancels its timer", async (t) => {
  const e = engine();
  e.detections([det({ vid: 'brief', t: 0 }), det({ vid: 'brief', phase: 'update', t: 120, started: 0 })], 1);
  e.detections([det({ vid: 'brief', phase: 'end', t: 250, started: 0 })], 1);
  t.equal(e.sizes().timers, 0, 'no timer left');
  t.same(e.detections([det({ vid: 'x', t: 1000, cam: 'cam-09' })], 1).alerts.filter((a) => a.violationIds.includes('brief')), []);
});

t.test('an update that already proves the duration fires at once; an end after the duration fires too', async (t) => {
  const e = engine();
  const upd = e.detections([det({ vid: 'long', t: 0 }), det({ vid: 'long', phase: 'update', t: 301, started: 0 })], 1);
  t.equal(upd.alerts.length, 1, 'the update at 301 s proves 5 min');
  const e2 = engine();
  const end = e2.detections([det({ vid: 'ended', phase: 'end', t: 400, started: 0 })], 1);
  t.equal(end.alerts.length, 1, 'an end 400 s after the start: it lasted long enough');
});

t.test('on a quiet partition the punctuator advances the watermark so the timer fires', async (t) => {
  const e = engine();
  e.detections([det({ vid: 'alone', t: 0 })], 1_000);
  t.same(e.punctuate(20_000).alerts, [], 'quiet for 19 s: not idle yet (30 s)');
  t.same(e.punctuate(300_000).alerts, [], 'idle; watermark = 0 - 10 s + 299 s: not yet due + grace');
  const out = e.punctuate(1_000 + 315_000);
  t.equal(out.alerts.length, 1, 'the wall clock carried event time past due + grace');
  t.equal(e.sizes().timers, 0);
});

t.test('a snapshot keeps timers: the restored engine fires them', async (t) => {
  const e = engine();
  e.detections([det({ vid: 'car', t: 0 })], 1);
  const restored = new TaskEngine(0, c.rules, c.settings.time, 0, JSON.parse(JSON.stringify(e.snapshot())));
  t.equal(restored.sizes().timers, 1);
  t.equal(restored.detections([det({ vid: 'o', t: 400, cam: 'cam-09' })], 1).alerts.length, 1);
});

t.test('a cooldown holds back alerts for other violations in the same zone', async (t) => {
  const cc = config([{ id: 'd', kind: 'dwell', minDuration: '1m', grace: '0s', cooldown: '10m' }], {
    time: { maxOutOfOrderness: '0s', idleTimeout: '0s' },
  });
  const e = new TaskEngine(0, cc.rules, cc.settings.time, 0);
  const out = e.detections([det({ vid: 'a', t: 0 }), det({ vid: 'b', t: 10 }), det({ vid: 'c', t: 10, zone: 'P2' }), det({ vid: 'z', t: 100, cam: 'cam-9' })], 1);
  t.same(out.alerts.map((a) => a.violationIds[0]).sort(), ['a', 'c'], 'b is in P1 within 10 min of a');
  t.equal(out.suppressedBy.get('d|cooldown'), 1);
});
