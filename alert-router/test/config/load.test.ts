/** The router config's old spellings (secret objects, `weekdays`) still load this version, each with one deprecation line. */
import t from 'tap';
import { ConfigError } from '@streetwatch/platform';
import { parseRouterConfig } from '../../src/config/load.js';
import { inTimeOfDay } from '../../src/routing/match.js';

const base = {
  departments: { d1: { name: 'D1', channels: ['hook'] } },
  channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/hook', signSecretEnv: 'HOOK_SIGN' } },
  routing: { route: { departments: ['d1'] } },
};
/** Thursday 2026-11-26 12:00 in Asia/Shanghai. */
const THURSDAY_NOON_CST = Date.parse('2026-11-26T04:00:00Z');

t.test('the new spellings load without a deprecation line', async (t) => {
  const lines: string[] = [];
  const night = { match: { timeOfDay: { from: '22:00', to: '06:00', days: ['fri', 'sat'] } }, departments: ['d1'] };
  const cfg = parseRouterConfig({ ...base, routing: { route: { departments: ['d1'], routes: [night] } } }, 'router.yaml', (l) => lines.push(l));
  t.same(lines, []);
  t.same(cfg.routing.route.routes?.[0]?.match?.timeOfDay?.days, ['fri', 'sat']);
});

t.test('a secret in the old object form is converted, with one line naming the path and the new key', async (t) => {
  const lines: string[] = [];
  const cfg = parseRouterConfig({ ...base, channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/hook', signSecret: { secretFile: '/run/hook' } } } }, 'router.yaml', (l) => lines.push(l));
  t.match(cfg.channels.hook, { signSecretFile: '/run/hook' });
  t.notOk('signSecret' in (cfg.channels.hook ?? {}), 'the old key is gone');
  t.equal(lines.length, 1);
  t.match(lines[0], /^router\.yaml: config key channels\.hook\.signSecret: .*deprecated.*"signSecretFile: \/run\/hook"/);
});

t.test('the old secret object and the new key at once: refused, naming both', async (t) => {
  const e = t.throws(() =>
    parseRouterConfig({ ...base, channels: { hook: { type: 'webhook', url: 'http://127.0.0.1:1/hook', signSecret: { secretEnv: 'OLD' }, signSecretEnv: 'NEW' } } }, 'router.yaml'),
  ) as ConfigError;
  t.same(e.lines(), ['router.yaml: channels.hook.signSecret: is the old form of channels.hook.signSecretEnv, which is set too: keep only signSecretEnv']);
});

t.test('weekdays (ISO 1-7) become days by name, nested routes too, with one deprecation line', async (t) => {
  const lines: string[] = [];
  const weekend = { match: { timeOfDay: { from: '08:00', to: '18:00', weekdays: [6, 7] } }, departments: ['d1'] };
  const raw = { ...base, routing: { route: { departments: ['d1'], routes: [{ departments: ['d1'], routes: [weekend] }, structuredClone(weekend)] } } };
  const cfg = parseRouterConfig(raw, 'router.yaml', (l) => lines.push(l));
  const tod = cfg.routing.route.routes?.[0]?.routes?.[0]?.match?.timeOfDay;
  t.same(tod?.days, ['sat', 'sun'], '6 is Saturday, 7 Sunday');
  t.same(cfg.routing.route.routes?.[1]?.match?.timeOfDay?.days, ['sat', 'sun']);
  t.equal(lines.length, 1);
  t.match(lines[0], /^router\.yaml: config key routing\.route\.routes\.0\.routes\.0\.match\.timeOfDay\.weekdays \(and 1 more\): "weekdays" .*deprecated.*"days"/);
  t.notOk(tod && inTimeOfDay(tod, THURSDAY_NOON_CST), 'Thursday noon is not in a weekend window');
  t.ok(tod && inTimeOfDay(tod, THURSDAY_NOON_CST + 2 * 86_400_000), 'Saturday noon is');
});

t.test('weekdays and days at once, or a weekday out of 1-7: refused by path', async (t) => {
  const both = { match: { timeOfDay: { from: '08:00', to: '18:00', weekdays: [1], days: ['mon'] } }, departments: ['d1'] };
  const e = t.throws(() => parseRouterConfig({ ...base, routing: { route: { departments: ['d1'], routes: [both] } } }, 'router.yaml')) as ConfigError;
  t.same(e.lines(), ['router.yaml: routing.route.routes.0.match.timeOfDay.weekdays: is the old name of routing.route.routes.0.match.timeOfDay.days, which is set too: keep only days']);
  const zero = { match: { timeOfDay: { from: '08:00', to: '18:00', weekdays: [0] } }, departments: ['d1'] };
  const z = t.throws(() => parseRouterConfig({ ...base, routing: { route: { departments: ['d1'], routes: [zero] } } }, 'router.yaml')) as ConfigError;
  t.match(z.lines().join('\n'), /timeOfDay\.weekdays: must be a list of ISO weekdays 1 \(Mon\) \.\. 7 \(Sun\)/);
});
