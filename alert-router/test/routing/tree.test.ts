import t from 'tap';
import { ConfigError, parseConfig } from '@streetwatch/platform';
import { exampleAlert } from '@streetwatch/schemas';
import { RouterConfig, type Route, type TimeOfDay } from '../../src/config/schema.js';
import { checkReferences } from '../../src/config/references.js';
import { inTimeOfDay } from '../../src/routing/match.js';
import { RoutingTree } from '../../src/routing/tree.js';

const NOON_CST = Date.parse('2026-11-26T04:00:00Z'); // Thursday 12:00 in Asia/Shanghai
const NIGHT_CST = Date.parse('2026-11-26T15:30:00Z'); // Thursday 23:30 in Asia/Shanghai

const route: Route = {
  departments: ['ops'],
  routes: [
    {
      name: 'parking',
      match: { type: 'illegal_parking' },
      departments: ['chengguan'],
      routes: [
        { name: 'grid3-night', match: { grid: 'grid-3', timeOfDay: { from: '22:00', to: '06:00', timezone: 'Asia/Shanghai' } }, departments: ['night-duty'] },
        { name: 'grid3', match: { grid: 'grid-3' }, channels: ['robot-3'] },
      ],
    },
    { name: 'critical-copy', match: { severity: 'critical' }, departments: ['pingan'], continue: true },
    { name: 'red-shop', match: { type: 'shop_red' }, departments: ['market', 'chengguan'], groupBy: ['shop'], groupWait: '30s' },
    { name: 'labelled', match: { labels: { department: 'community-east' } }, departments: ['community-east'] },
    { name: 'regex', match: { regex: { 'labels.department': 'chengguan-.*' } }, departments: ['chengguan-by-label'] },
  ],
};

t.test('a nested route matches the deepest child and inherits its parent settings', async (t) => {
  const tree = new RoutingTree(route);
  const m = tree.match(exampleAlert(), NOON_CST);
  t.equal(m.length, 1);
  t.match(m[0], { route: 'root/parking/grid3', departments: ['chengguan'], channels: ['robot-3'], groupBy: ['alertId'], groupWaitMs: 0 });
  const other = tree.match(exampleAlert({ site: { cameraIds: ['c'], gridId: 'grid-9' } }), NOON_CST);
  t.match(other, [{ route: 'root/parking', departments: ['chengguan'], channels: undefined }], 'no child matched: the parent is the match');
});

t.test('a time-of-day window (crossing midnight, in the configured zone) picks the night route', async (t) => {
  const tree = new RoutingTree(route);
  t.match(tree.match(exampleAlert(), NIGHT_CST), [{ route: 'root/parking/grid3-night', departments: ['night-duty'] }]);
  t.ok(inTimeOfDay({ from: '22:00', to: '06:00', timezone: 'Asia/Shanghai' }, Date.parse('2026-11-26T21:59:00Z')), '05:59 next day is inside');
  t.notOk(inTimeOfDay({ from: '22:00', to: '06:00', timezone: 'Asia/Shanghai' }, Date.parse('2026-11-26T22:00:00Z')), '06:00 is outside');
  const weekdays: TimeOfDay = { from: '08:00', to: '18:00', timezone: 'Asia/Shanghai', days: ['sat', 'sun'] };
  t.notOk(inTimeOfDay(weekdays, NOON_CST), 'Thursday is not a weekend day');
  t.ok(inTimeOfDay(weekdays, NOON_CST + 2 * 86_400_000), 'Saturday noon is');
});

t.test('continue lets an alert match later siblings too; otherwise the first match wins', async (t) => {
  const tree = new RoutingTree(route);
  const critical = exampleAlert({ type: 'dumping', severity: 'critical', labels: { department: 'chengguan-grid-3' } });
  t.same(
    tree.match(critical, NOON_CST).map((m) => m.route),
    ['root/critical-copy', 'root/regex'],
    'critical-copy continues, then the regex route matches and stops',
  );
  const redShop = exampleAlert({ type: 'shop_red', severity: 'critical', site: { cameraIds: ['c'], shopId: 'S17' } });
  const m = tree.match(redShop, NOON_CST);
  t.same(m.map((x) => x.route), ['root/critical-copy', 'root/red-shop']);
  t.same(m[1]?.departments, ['market', 'chengguan'], 'one route can name several departments');
  t.equal(m[1]?.groupWaitMs, 30_000);
  t.equal(RoutingTree.groupKey(m[1]!, 'market', redShop).key, 'root/red-shop|market|shop=S17');
});

t.test('labels match exactly; an alert matching nothing goes to the root departments', async (t) => {
  const tree = new RoutingTree(route);
  t.match(tree.match(exampleAlert({ type: 'street_vendor', labels: { department: 'community-east' } }), NOON_CST), [
    { route: 'root/labelled', departments: ['community-east'] },
  ]);
  t.match(tree.match(exampleAlert({ type: 'street_vendor', labels: {} }), NOON_CST), [{ route: 'root', departments: ['ops'] }]);
});

t.test('config errors are reported by path: unknown keys, bad durations, unknown channels and departments', async (t) => {
  const base = {
    departments: { d1: { name: 'D1', channels: ['hook'] } },
    channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/hook', signSecretEnv: 'X' } },
    routing: { route: { departments: ['d1'] } },
  };
  t.ok(parseConfig(RouterConfig, base), 'a minimal config is valid');
  const bad = { ...base, routing: { route: { departments: ['d1'], routes: [{ match: { type: 'x', colour: 'red' }, groupWait: '5 minutes' }] } } };
  const e = t.throws(() => parseConfig(RouterConfig, bad, 'router.yaml')) as ConfigError;
  const lines = e.lines().join('\n');
  t.match(lines, /routing\.route\.routes\.0\.match.*colour|routing\.route\.routes\.0\.match/);
  t.match(lines, /routing\.route\.routes\.0\.groupWait/);
  const refs = parseConfig(RouterConfig, {
    ...base,
    channels: { ...base.channels, hook: { ...base.channels.hook, fallback: 'sms' } },
    routing: { route: { departments: ['d1'], routes: [{ departments: ['nope'], channels: ['gone'] }] } },
  });
  const r = t.throws(() => checkReferences(refs as RouterConfig, 'router.yaml')) as ConfigError;
  t.same(r.lines().sort(), [
    'router.yaml: channels.hook.fallback: unknown channel "sms"',
    'router.yaml: routing.route.routes.0.channels.0: unknown channel "gone"',
    'router.yaml: routing.route.routes.0.departments.0: unknown department "nope"',
  ]);
  const twice = parseConfig(RouterConfig, {
    ...base,
    workOrders: { departments: [{ id: 'd1', name: 'not the same name' }, { id: 'd9', name: 'nowhere' }] },
  });
  const d = t.throws(() => checkReferences(twice as RouterConfig, 'router.yaml')) as ConfigError;
  t.same(
    d.lines().sort(),
    [
      `router.yaml: workOrders.departments.0.name: "not the same name" differs from departments.d1.name "${base.departments.d1.name}": one department, one name`,
      'router.yaml: workOrders.departments.1.id: "d9" is not under departments (departments.d9): declare it there too, or fix the id',
    ],
    'a department declared twice must agree; each problem names both paths',
  );
  t.doesNotThrow(() => checkReferences(parseConfig(RouterConfig, { ...base, workOrders: { departments: [{ id: 'd1', name: base.departments.d1.name }] } }) as RouterConfig), 'the same id and name pass');
});
