/** The `live` section: checked at load, token read once (never inline), problems by key path. */
import { ConfigError } from '@streetwatch/platform';
import t from 'tap';
import { parseGatewayConfig } from '../../src/config/parse.js';

const base = {
  gatewayId: 'gw-1',
  outbox: { path: '/var/lib/sw/outbox.db' },
  evidence: {},
  detector: { modelDir: '/models' },
  cameras: [{ id: 'cam-1', source: { type: 'rtsp', url: 'rtsp://10.0.0.5/Streaming/Channels/102' } }],
};
const TOKEN = 'live-token-0123456789abcdef';

function problems(live: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseGatewayConfig({ ...base, live }, 'gw.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  return [];
}

t.test('the live token is read from its variable at load; defaults are filled in', async (t) => {
  const c = parseGatewayConfig({ ...base, live: { routerUrl: 'wss://sw.example.cn/live/gateway', tokenEnv: 'SW_LIVE_TOKEN' } }, 'gw.yaml', { env: { SW_LIVE_TOKEN: TOKEN } });
  t.match(c.live, { token: TOKEN, maxStreams: 2, idleStopMs: 30_000, width: 640, fps: 10, bitrateKbps: 500, nice: 10 });
});

t.test('bad live settings are reported by key path, never with the token', async (t) => {
  t.same(problems({ routerUrl: 'wss://sw/live/gateway', tokenEnv: 'SW_LIVE_TOKEN' }), ['gw.yaml: live.tokenEnv: environment variable SW_LIVE_TOKEN is not set']);
  t.same(problems({ routerUrl: 'wss://sw/live/gateway' }), ['gw.yaml: live.tokenEnv: give one of tokenEnv, tokenFile (the token is never inline)']);
  const inline = problems({ routerUrl: 'wss://sw/live/gateway', token: TOKEN });
  t.same(inline, ['gw.yaml: live.token: write tokenFile or tokenEnv, never the token itself']);
  t.notOk(inline.join('\n').includes(TOKEN));
  t.same(problems({ routerUrl: 'wss://sw/live/gateway', tokenEnv: 'T' }, { T: 'short' }), ['gw.yaml: live.tokenEnv: the token must be at least 16 characters']);
  const shape = problems({ routerUrl: 'http://sw/live', tokenEnv: 'T', maxStreams: -1, fps: 0, width: 641, extra: 1 }, { T: TOKEN });
  t.ok(shape.some((l) => l.startsWith('gw.yaml: live.routerUrl:')), shape.join('\n'));
  t.ok(shape.some((l) => l.startsWith('gw.yaml: live.maxStreams:')));
  t.ok(shape.some((l) => l.startsWith('gw.yaml: live.fps:')));
  t.ok(shape.some((l) => l.startsWith('gw.yaml: live.width:')));
  t.ok(shape.some((l) => l.includes('extra')), 'unknown keys are refused');
});
