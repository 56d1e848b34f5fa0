/** The router's `live` section: schema errors and cross-references by key path. */
import t from 'tap';
import { Registry } from 'prom-client';
import { ConfigError, createLogger, parseConfig, type Pool } from '@streetwatch/platform';
import type { RouterConfig } from '../../src/config/schema.js';
import { secretResolver } from '../../src/config/secrets.js';
import { checkLiveReferences, LiveConfig, liveServeOf } from '../../src/live/config.js';
import { liveFrom } from '../../src/live/setup.js';

const H = 'a'.repeat(64);

t.test('cross-references: each camera names a configured gateway, each zone a known department; ids unique', async (t) => {
  const cfg = parseConfig(LiveConfig, {
    signingKeyEnv: 'K',
    gateways: [{ id: 'box-1', tokenSha256: H }, { id: 'box-1', tokenSha256: H }],
    cameras: [
      { id: 'cam-1', gateway: 'box-1', zones: { P1: 'dept-a' } },
      { id: 'cam-1', gateway: 'box-9', zones: { S1: 'dept-x' } },
    ],
  });
  const errors: Array<{ path: string; message: string }> = [];
  checkLiveReferences(cfg, new Set(['dept-a']), errors);
  t.same(errors, [
    { path: '/live/gateways/1/id', message: 'duplicates live.gateways.0.id (box-1)' },
    { path: '/live/cameras/1/id', message: 'duplicates live.cameras.0.id (cam-1)' },
    { path: '/live/cameras/1/gateway', message: 'unknown gateway "box-9" (not in live.gateways)' },
    { path: '/live/cameras/1/zones/S1', message: 'unknown department "dept-x"' },
  ]);
});

t.test('schema: a camera without zones, an inline key, a token that is not a sha256 are refused by path', async (t) => {
  let lines: string[] = [];
  try {
    parseConfig(LiveConfig, { signingKey: 'inline-key', gateways: [{ id: 'box-1', tokenSha256: 'secret' }], cameras: [{ id: 'cam-1', gateway: 'box-1', zones: {} }] }, 'router.yaml');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    lines = e.lines();
  }
  t.ok(lines.some((l) => l.includes('signingKey')), lines.join('\n'));
  t.ok(lines.some((l) => l.includes('gateways') && l.includes('tokenSha256')));
  t.ok(lines.some((l) => l.includes('cameras') && l.includes('zones')));
});

t.test('live.serve: the config’s value, STREETWATCH_LIVE_SERVE over it, a bad value or `only` without a live section refused naming the variable', async (t) => {
  const base = { signingKeyEnv: 'K' };
  t.equal(liveServeOf(parseConfig(LiveConfig, base), {}), 'yes', 'default: one instance does both');
  t.equal(liveServeOf(parseConfig(LiveConfig, { ...base, serve: 'only' }), {}), 'only');
  t.equal(liveServeOf(parseConfig(LiveConfig, { ...base, serve: 'only' }), { STREETWATCH_LIVE_SERVE: 'no' }), 'no', 'the Deployment’s variable wins');
  t.equal(liveServeOf(parseConfig(LiveConfig, base), { STREETWATCH_LIVE_SERVE: ' only ' }), 'only');
  t.equal(liveServeOf(undefined, {}), 'no', 'no live section: nothing to serve');
  t.equal(liveServeOf(undefined, { STREETWATCH_LIVE_SERVE: 'yes' }), 'no');
  const lines = (f: () => unknown): string[] => {
    try {
      f();
    } catch (e) {
      if (e instanceof ConfigError) return e.lines();
      throw e;
    }
    return [];
  };
  t.same(lines(() => liveServeOf(parseConfig(LiveConfig, base), { STREETWATCH_LIVE_SERVE: 'live' })), ['environment STREETWATCH_LIVE_SERVE: (root): "live" is not one of yes, only, no']);
  t.match(lines(() => liveServeOf(undefined, { STREETWATCH_LIVE_SERVE: 'only' })), [/^environment STREETWATCH_LIVE_SERVE: .*needs a live section/]);
  t.match(lines(() => parseConfig(LiveConfig, { ...base, serve: 'sometimes' }, 'router.yaml')), [/serve/]);
});

t.test('a gateway’s tokenSha256 from a Secret (tokenSha256Env) is resolved at start; a missing variable, a value that is not a sha256, none or two of the three keys are refused by path', async (t) => {
  const cfg = (box2: Record<string, string>) =>
    ({
      live: parseConfig(LiveConfig, {
        signingKeyEnv: 'KEY',
        gateways: [{ id: 'box-1', tokenSha256: H }, { id: 'box-2', ...box2 }],
      }),
    }) as unknown as RouterConfig;
  const key = 'k'.repeat(32);
  const env = (extra: Record<string, string>) => ({ KEY: key, ...extra });
  const deps = (e: Record<string, string>) => ({ pool: {} as Pool, log: createLogger({ name: 't', level: 'silent' }), registry: new Registry(), resolveSecret: secretResolver(e) });
  const ok = liveFrom(cfg({ tokenSha256Env: 'BOX2_SHA' }), 'router.yaml', deps(env({ BOX2_SHA: `${'B'.repeat(64)}\n` })));
  t.same([...(ok?.gatewayTokens ?? new Map<string, Buffer>())].map(([id, b]) => [id, b.toString('hex')]), [['box-1', H], ['box-2', 'b'.repeat(64)]], 'inline and from the Secret (trimmed, any case)');
  const fail = (e: Record<string, string>, box2: Record<string, string> = { tokenSha256Env: 'BOX2_SHA' }): string[] => {
    try {
      liveFrom(cfg(box2), 'router.yaml', deps(e));
    } catch (err) {
      if (err instanceof ConfigError) return err.lines();
      throw err;
    }
    return [];
  };
  t.match(fail(env({})), [/^router\.yaml: live\.gateways\.1\.tokenSha256Env: .*BOX2_SHA/]);
  t.same(fail(env({ BOX2_SHA: 'the-token-itself-not-its-hash' })), ['router.yaml: live.gateways.1.tokenSha256Env: the secret must hold the sha256 of the gateway token (64 hex digits)']);
  t.match(fail(env({}), {}), [/^router\.yaml: live\.gateways\.1\.tokenSha256: give one of tokenSha256, tokenSha256Env, tokenSha256File/]);
  t.match(fail(env({}), { tokenSha256: H, tokenSha256File: '/run/x' }), [/^router\.yaml: live\.gateways\.1\.tokenSha256File: set one of/]);
  t.notMatch(fail(env({ BOX2_SHA: 'the-token-itself-not-its-hash' })).join('\n'), /the-token-itself/, 'the value is never echoed');
});
