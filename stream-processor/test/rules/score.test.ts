import t from 'tap';
import { TaskEngine } from '../../src/state/engine.js';
import { at, config, det, inspection } from '../support/events.js';

// Weights 30 per spillover; yellow 40, red 80; half-life 1 h. Out-of-orderness 0, grace 0.
const c = config(
  [
    {
      id: 'shop',
      kind: 'score',
      weights: { shopfront_spillover: 30 },
      halfLife: '1h',
      thresholds: { yellow: 40, red: 80 },
      grace: '0s',
      labels: { department: 'market' },
    },
  ],
  { time: { maxOutOfOrderness: '0s', idleTimeout: '10s' } },
);
const spill = (vid: string, t: number) => det({ vid, t, type: 'shopfront_spillover', shop: 'S17' });
const engine = () => new TaskEngine(0, c.rules, c.settings.time, 0);

t.test('violation starts forwarded by shop raise the score: yellow, then red with one alert', async (t) => {
  const e = engine();
  const fwd = e.detections([spill('v1', 0), det({ vid: 'nope', t: 1 })], 1);
  t.same(fwd.forward.map((x) => x.violationId), ['v1'], 'only starts with a shop matching a score rule are forwarded');
  const out = e.shopEvents([spill('v1', 0), spill('v2', 60), spill('v3', 120), spill('v4', 180)], 1);
  // Applied when the watermark passes them: v4 (at 180 s) waits for a later event.
  t.same(out.scoreChanges.map((x) => [x.previousColour, x.colour, x.eventTime]), [['green', 'yellow', new Date(at(60)).toISOString()], ['yellow', 'red', new Date(at(120)).toISOString()]]);
  t.equal(out.alerts.length, 1, 'turning red alerts');
  const a = out.alerts[0]!;
  t.equal(a.type, 'shop_red');
  t.equal(a.site.shopId, 'S17');
  t.same(a.violationIds, ['v1', 'v2', 'v3']);
  t.equal(a.key, 'shop:S17');
  const more = e.shopEvents([spill('v5', 240)], 1);
  t.same(more.alerts, [], 'still red: no second alert');
});

t.test('decay alone turns red to yellow to green at the exact crossing times, and re-arms', async (t) => {
  const e = engine();
  e.shopEvents([spill('v1', 0), spill('v2', 1), spill('v3', 2), spill('v4', 3)], 1); // ~120 points at 3 s: red
  // 90 → 80 after log2(90/80) h ≈ 611.6 s; → 40 after another hour.
  t.same(e.punctuate(20_000).scoreChanges, [], 'idle: the watermark moves to ~23 s, long before a crossing');
  const later = e.shopEvents([spill('far', 2 * 3600)], 1);
  t.same(later.scoreChanges.map((x) => x.colour), ['yellow', 'green', 'yellow'], 'two decay crossings before 2 h, then +30 at 2 h');
  const red2yellow = Date.parse(later.scoreChanges[0]!.eventTime) - at(3);
  // 4 x 30 points (less 1-3 s of decay) at 3 s; crossing 80 after log2(value / 80) half-lives.
  const value = 30 * (Math.pow(2, -3 / 3600) + Math.pow(2, -2 / 3600) + Math.pow(2, -1 / 3600) + 1);
  t.ok(Math.abs(red2yellow - 3600_000 * Math.log2(value / 80)) < 2, 'crossing at the analytic time');
  t.equal(later.scoreChanges[0]?.score, 80);
  const again = e.shopEvents([spill('a', 7300), spill('b', 7301), spill('c', 7302), spill('end', 7400)], 1);
  t.equal(again.alerts.length, 1, 'after falling to yellow the shop alerts again when it turns red');
});

t.test('inspection records adjust the score: a pass takes points off, a fail adds them', async (t) => {
  const flow = engine();
  const seq = [
    ...flow.shopEvents([spill('v1', 0), spill('v2', 10)], 1).scoreChanges,
    ...flow.inspections([inspection({ id: 'i1', shop: 'S17', t: 20, points: -30 })], 1).scoreChanges,
    ...flow.shopEvents([spill('w', 30)], 1).scoreChanges,
  ];
  t.same(seq.map((x) => x.colour), ['yellow', 'green'], 'yellow at 10 s; the pass at 20 s brings it to green');
  t.equal(seq[1]?.eventTime, new Date(at(20)).toISOString());
  // The start at 30 s waits: the inspections partition's watermark is at 20 s until it goes idle.
  t.same(flow.punctuate(20_000).scoreChanges.map((x) => x.colour), ['yellow'], 'the idle inspections partition stops holding it back');

  const fail = engine();
  fail.shopEvents([spill('v1', 0)], 1);
  const red = [
    ...fail.inspections([inspection({ id: 'bad', shop: 'S17', t: 5, points: 60 })], 1).scoreChanges,
    ...fail.shopEvents([spill('w', 6)], 1).scoreChanges,
  ];
  t.same(red.map((x) => x.colour), ['red'], 'a failed inspection (+60) on top of 30 turns the shop red');
  fail.inspections([inspection({ id: 'bad', shop: 'S17', t: 5, points: 60 })], 1);
  const shop = fail.snapshot().rules.shop;
  t.ok(shop?.kind === 'score' && shop.shops[0]?.[1].value !== undefined && shop.shops[0][1].value < 100, 'a record applied twice counts once');
});

t.test('contributions from two active inputs are applied in event-time order whatever their arrival order', async (t) => {
  const run = (order: 'shop-first' | 'inspection-first') => {
    const e = engine();
    const changes = [];
    // Both partitions active (an inspection partition that never saw a record cannot hold back).
    e.inspections([inspection({ id: 'first', shop: 'S1', t: 0, points: 0 })], 1);
    e.shopEvents([det({ vid: 'first', t: 0, type: 'shopfront_spillover', shop: 'S1' })], 1);
    const a = () => changes.push(...e.shopEvents([spill('v1', 0), spill('v2', 10), spill('v3', 30)], 1).scoreChanges, ...e.shopEvents([], 1).scoreChanges);
    const b = () => changes.push(...e.inspections([inspection({ id: 'i', shop: 'S17', t: 20, points: -50 })], 1).scoreChanges);
    if (order === 'shop-first') {
      a();
      b();
    } else {
      b();
      a();
    }
    changes.push(...e.shopEvents([spill('z', 100)], 1).scoreChanges, ...e.inspections([inspection({ id: 'j', shop: 'S17', t: 100, points: 0 })], 1).scoreChanges);
    changes.push(...e.punctuate(100_000).scoreChanges);
    t.ok(changes.length >= 2, 'the colour moved');
    return changes.map((x) => `${x.eventTime} ${x.colour}`);
  };
  t.same(run('shop-first'), run('inspection-first'));
});
