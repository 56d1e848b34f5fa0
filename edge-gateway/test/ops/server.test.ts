/**
 * Who may ask the edge ops server: loopback by default; bound elsewhere only with a token, which
 * every route but the probes then needs. Over real HTTP from a non-loopback address of this host.
 */
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import t from 'tap';
import { ConfigError, createLogger, createRegistry, listen } from '@streetwatch/platform';
import { parseGatewayConfig } from '../../src/config/parse.js';
import { EDGE_REDACT_PATHS } from '../../src/config/secrets.js';
import { createEdgeOpsServer } from '../../src/ops/server.js';

const base = {
  gatewayId: 'gw-1',
  outbox: { path: '/var/lib/sw/outbox.db' },
  detector: { modelDir: '/models' },
  cameras: [{ id: 'cam-1', source: { type: 'file', path: '/v.mp4' } }],
};
const TOKEN = 'edge-ops-token-7f3a9c2e51b4';

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseGatewayConfig(raw, 'gw.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  return [];
}

/** An address of this host that is not loopback (the test needs one: it is the "world" here). */
function outsideAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
}

t.test('the ops server binds loopback by default; any other address needs a token, refused by key path otherwise', async (t) => {
  t.match(parseGatewayConfig(base).http, { host: '127.0.0.1', port: 8080 });
  t.equal(parseGatewayConfig(base).http.token, undefined);
  t.same(problems({ ...base, http: { host: '0.0.0.0' } }), [
    'gw.yaml: http.host: 0.0.0.0 is not loopback: set http.tokenFile or http.tokenEnv (a bearer token for /status and /metrics), or bind 127.0.0.1',
  ]);
  t.same(problems({ ...base, http: { host: '0.0.0.0', tokenEnv: 'EDGE_OPS_TOKEN' } }), ['gw.yaml: http.tokenEnv: environment variable EDGE_OPS_TOKEN is not set']);
  t.same(problems({ ...base, http: { host: '0.0.0.0', tokenEnv: 'EDGE_OPS_TOKEN' } }, { EDGE_OPS_TOKEN: 'short' }), ['gw.yaml: http.tokenEnv: the token must be at least 16 characters']);
  t.same(problems({ ...base, http: { host: '0.0.0.0', token: TOKEN } }), ['gw.yaml: http.token: write tokenFile or tokenEnv, never the token itself']);
  const c = parseGatewayConfig({ ...base, http: { host: '0.0.0.0', tokenEnv: 'EDGE_OPS_TOKEN' } }, 'gw.yaml', { env: { EDGE_OPS_TOKEN: TOKEN } });
  t.equal(c.http.token, TOKEN, 'read once at load');
  t.same(problems({ ...base, http: { host: '127.0.0.2' } }), [], 'any 127/8 address is loopback');
});

const host = outsideAddress() ?? '';
const noOutside = host === '' ? 'this host has no non-loopback IPv4 address to call from' : false;

t.test('bound beyond loopback, /status and /metrics need the token; /healthz and /readyz do not; no picture is served, token or not', { skip: noOutside }, async (t) => {
  const lines: string[] = [];
  const log = createLogger({ name: 'edge-ops-test', level: 'debug', redact: EDGE_REDACT_PATHS, destination: new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }) });
  const app = await createEdgeOpsServer({ registry: createRegistry('edge-ops-test'), log, readiness: {}, status: () => ({ cameras: [] }), token: TOKEN });
  t.teardown(async () => {
    await app.close();
  });
  const address = await listen(app, { host: '0.0.0.0', port: 0 });
  const port = new URL(address).port;
  const get = async (path: string, token?: string) => {
    const res = await fetch(`http://${host}:${port}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: await res.text(), auth: res.headers.get('www-authenticate') };
  };
  for (const path of ['/status', '/metrics', '/evidence/0b8f3c1e-4a44-4a3f-9a51-6d7f7d1c2a10.jpg']) {
    const none = await get(path);
    t.equal(none.status, 401, `${path} without a token`);
    t.match(JSON.parse(none.body), { error: { code: 'SW_EDGE_OPS_UNAUTHORIZED' } });
    t.match(none.auth, /^Bearer /);
    t.equal((await get(path, 'not-the-token-0000000000')).status, 401, `${path} with a wrong token`);
  }
  t.equal((await get('/status', TOKEN)).status, 200);
  const metrics = await get('/metrics', TOKEN);
  t.equal(metrics.status, 200);
  t.match(metrics.body, /# TYPE/);
  t.equal((await get('/evidence/0b8f3c1e-4a44-4a3f-9a51-6d7f7d1c2a10.jpg', TOKEN)).status, 404, 'with the token: no evidence route (pictures go to the object store)');
  t.equal((await get('/healthz')).status, 200, 'probes need no token');
  t.equal((await get('/healthz?x=1')).status, 200);
  for (const sneaky of ['/healthz/../metrics', '//metrics', '/metrics?/healthz', '/nope']) t.equal((await get(sneaky)).status, 401, `${sneaky}: token first`);
  t.equal((await get('/readyz')).status, 200);
  log.info({ config: { http: { host: '0.0.0.0', token: TOKEN } }, req: { headers: { authorization: `Bearer ${TOKEN}` } } }, 'config');
  await new Promise((r) => setImmediate(r));
  t.ok(lines.length > 0, 'something was logged');
  t.notOk(lines.join('').includes(TOKEN), 'the token never reaches a log line');
});
