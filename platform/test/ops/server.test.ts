import t from 'tap';
import { createLogger, createOpsServer, createRegistry, type ReadinessCheck } from '../../src/index.js';

const log = createLogger({ name: 'ops-test', level: 'silent' });

function server(t: { teardown(fn: () => unknown): void }, opts: { trustProxy?: string[]; readiness?: Record<string, ReadinessCheck> } = {}) {
  const app = createOpsServer({ registry: createRegistry('ops-test'), log, ...opts });
  app.post('/echo', { schema: { body: { type: 'object', properties: { note: { type: 'string' } }, additionalProperties: false } } }, async (req) => ({ body: req.body }));
  app.get('/ip', async (req) => ({ ip: req.ip }));
  t.teardown(() => app.close());
  return app;
}

t.test('readiness answers 503 naming the failing check, 200 when all pass', async (t) => {
  let pg = false;
  const app = server(t, { readiness: { postgres: () => ({ ok: pg, detail: pg ? 'up' : 'refused' }) } });
  const down = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(down.statusCode, 503);
  t.match(down.json(), { status: 'not ready', checks: { postgres: { ok: false, detail: 'refused' } } });
  pg = true;
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
});

t.test('a body field the route schema does not allow is refused by name, not silently dropped', async (t) => {
  const app = server(t);
  const ok = await app.inject({ method: 'POST', url: '/echo', payload: { note: 'a' } });
  t.same(ok.json(), { body: { note: 'a' } });
  const bad = await app.inject({ method: 'POST', url: '/echo', payload: { note: 'a', noet: 'typo' } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json().message, /additional properties/);
});

t.test('X-Forwarded-For is believed only from the configured proxies', async (t) => {
  const headers = { 'x-forwarded-for': '203.0.113.9' };
  const direct = server(t);
  t.equal((await direct.inject({ method: 'GET', url: '/ip', headers, remoteAddress: '127.0.0.1' })).json().ip, '127.0.0.1', 'no proxies configured: the peer');
  const behind = server(t, { trustProxy: ['127.0.0.1'] });
  t.equal((await behind.inject({ method: 'GET', url: '/ip', headers, remoteAddress: '127.0.0.1' })).json().ip, '203.0.113.9', 'from the proxy: the client');
  t.equal((await behind.inject({ method: 'GET', url: '/ip', headers, remoteAddress: '198.51.100.7' })).json().ip, '198.51.100.7', 'from anyone else: the peer');
});
