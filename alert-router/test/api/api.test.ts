import { Writable } from 'node:stream';
import t from 'tap';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createLogger, createOpsServer, createRegistry } from '@streetwatch/platform';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import { registerWorkOrderRoutes } from '../../src/api/routes.js';
import { alertFor, auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;

async function call(h: Harness, method: 'GET' | 'POST', url: string, token?: string, payload?: unknown) {
  const res = await h.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload === undefined ? {} : { payload: payload as Json }) });
  return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {}, headers: res.headers };
}

t.test('work-order API', async (t) => {
  const kafka = await testKafka(t, { label: 'api' });

  t.test('every /api route needs a valid bearer token', async (t) => {
    const h = await harness(t, kafka);
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    for (const [method, url] of [
      ['GET', '/api/me'],
      ['GET', '/api/work-orders'],
      ['GET', `/api/work-orders/${ref.workOrderId}`],
      ['POST', `/api/work-orders/${ref.workOrderId}/sign`],
      ['GET', '/api/stream'],
    ] as const) {
      const none = await call(h, method, url);
      t.equal(none.status, 401, `${method} ${url} without a token`);
      t.equal(none.body.error?.code, 'SW_ROUTER_AUTH_REQUIRED');
      t.match(none.headers['www-authenticate'], /^Bearer/);
    }
    const wrong = await call(h, 'GET', '/api/me', 'not-a-real-token-at-all');
    t.equal(wrong.status, 401);
    t.equal(wrong.body.error?.code, 'SW_ROUTER_AUTH_INVALID');
    const me = await call(h, 'GET', '/api/me', TOKENS.aStaff);
    t.match(me.body, { id: 'li.staff', departmentId: 'dept-a', role: 'staff', console: { timeZone: 'Asia/Shanghai' } });
    t.equal((await h.pool.query('SELECT status FROM work_orders')).rows[0].status, 'dispatched', 'nothing happened unauthenticated');
  });

  t.test('a department sees and acts only on its own work orders: another department’s answer 404', async (t) => {
    const h = await harness(t, kafka);
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const b = await h.wo.dispatch(alertFor(), 'dept-b');

    const listB = await call(h, 'GET', '/api/work-orders', TOKENS.bStaff);
    t.same(listB.body.items.map((x: Json) => x.id), [b.workOrderId], 'B lists only its own');
    const listA = await call(h, 'GET', '/api/work-orders?departmentId=dept-b', TOKENS.aHead);
    t.same(listA.body.items.map((x: Json) => x.id), [a.workOrderId], 'a non-supervisor cannot widen the filter');

    const missing = await call(h, 'GET', '/api/work-orders/wo-doesnotexist', TOKENS.bStaff);
    const foreign = await call(h, 'GET', `/api/work-orders/${a.workOrderId}`, TOKENS.bStaff);
    t.equal(foreign.status, 404);
    t.equal(foreign.body.error.code, missing.body.error.code, 'indistinguishable from a missing order');
    for (const [path, body] of [
      ['sign', {}],
      ['return', { reason: 'x' }],
      ['mark', { kind: 'false_positive' }],
    ] as const) {
      const r = await call(h, 'POST', `/api/work-orders/${a.workOrderId}/${path}`, TOKENS.bHead, body);
      t.equal(r.status, 404, `B cannot ${path} A's order`);
    }
    t.equal((await h.wo.get({ id: 'x', name: 'x', departmentId: 'dept-a', role: 'head' }, a.workOrderId)).history.length, 1, 'A’s order untouched');

    const all = await call(h, 'GET', '/api/work-orders', TOKENS.sup);
    t.equal(all.body.total, 2, 'the supervisor sees every department');
    const onlyB = await call(h, 'GET', '/api/work-orders?departmentId=dept-b', TOKENS.sup);
    t.same(onlyB.body.items.map((x: Json) => x.id), [b.workOrderId]);
    const detail = await call(h, 'GET', `/api/work-orders/${a.workOrderId}`, TOKENS.sup);
    t.equal(detail.status, 200);
    t.match(detail.body, {
      site: { zoneId: 'P1', cameraIds: ['cam-03'] },
      evidence: [{ index: 0, stored: true }],
      history: [{ action: 'dispatched', actor: { kind: 'system' } }],
      actions: ['sign', 'mark_false_positive', 'mark_duplicate'],
    });
  });

  t.test('roles are enforced: staff sign and handle, heads verify and close, supervisors re-dispatch', async (t) => {
    const h = await harness(t, kafka);
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const url = (p: string) => `/api/work-orders/${a.workOrderId}/${p}`;
    t.equal((await call(h, 'POST', url('sign'), TOKENS.aStaff, {})).status, 200);
    t.equal((await call(h, 'POST', url('handle'), TOKENS.aStaff, { feedback: '已处理' })).status, 200);
    const staffVerify = await call(h, 'POST', url('verify'), TOKENS.aStaff, { result: 'pass' });
    t.equal(staffVerify.status, 403);
    t.equal(staffVerify.body.error.code, 'SW_ROUTER_WO_ROLE_FORBIDDEN');
    t.equal((await call(h, 'POST', url('verify'), TOKENS.aHead, { result: 'pass' })).status, 200);
    t.equal((await call(h, 'POST', url('close'), TOKENS.aStaff, {})).status, 403);
    const closed = await call(h, 'POST', url('close'), TOKENS.aHead);
    t.equal(closed.status, 200, 'a POST without a body is fine');
    t.equal(closed.body.status, 'closed');
    t.same(closed.body.actions, []);
    const again = await call(h, 'POST', url('close'), TOKENS.aHead, {});
    t.equal(again.status, 409);
    t.equal(again.body.error.code, 'SW_ROUTER_WO_INVALID_TRANSITION');

    const b = await h.wo.dispatch(alertFor(), 'dept-a');
    t.equal((await call(h, 'POST', `/api/work-orders/${b.workOrderId}/return`, TOKENS.sup, { reason: 'x' })).status, 403, 'supervisors do not return');
    t.equal((await call(h, 'GET', '/api/precision', TOKENS.aStaff)).status, 403);
    t.equal((await call(h, 'GET', '/api/precision', TOKENS.aHead)).status, 200);
  });

  t.test('input is validated by schema and errors name the field', async (t) => {
    const h = await harness(t, kafka);
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    const url = (p: string) => `/api/work-orders/${a.workOrderId}/${p}`;
    const cases: Array<[string, unknown, string]> = [
      ['return', {}, 'body/reason'],
      ['return', { reason: '   ' }, 'body/reason'],
      ['verify', { result: 'maybe' }, 'body/result'],
      ['mark', { kind: 'spam' }, 'body/kind'],
      ['redispatch', {}, 'body/departmentId'],
    ];
    for (const [path, body, field] of cases) {
      const r = await call(h, 'POST', url(path), TOKENS.sup, body);
      t.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      t.equal(r.body.error.code, 'SW_ROUTER_INVALID_INPUT');
      t.ok(r.body.error.fields.some((f: Json) => f.path === field), `error names ${field}: ${JSON.stringify(r.body.error.fields)}`);
    }
    const bad = await call(h, 'GET', '/api/work-orders/bad%20id', TOKENS.aStaff);
    t.equal(bad.status, 400);
    t.equal(bad.body.error.fields[0].path, 'params/id');
    const limit = await call(h, 'GET', '/api/work-orders?limit=0', TOKENS.aStaff);
    t.equal(limit.body.error.fields[0].path, 'querystring/limit');
    await call(h, 'POST', url('sign'), TOKENS.aStaff, {});
    await call(h, 'POST', url('handle'), TOKENS.aStaff, { feedback: 'x' });
    const reject = await call(h, 'POST', url('verify'), TOKENS.aHead, { result: 'reject' });
    t.equal(reject.status, 400);
    t.equal(reject.body.error.fields[0].path, 'body/note', 'a rejection needs a note');
  });

  t.test('every action is audited (who, what, when, where, result) and tokens never reach logs or the audit', async (t) => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) });
    const log = createLogger({ name: 'audit-test', level: 'debug', destination: sink });
    const h = await harness(t, kafka, {}, { log });
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    await call(h, 'POST', `/api/work-orders/${a.workOrderId}/sign`, TOKENS.aStaff, { note: 'ok' });
    await call(h, 'POST', `/api/work-orders/${a.workOrderId}/sign`, TOKENS.aStaff, {});
    await call(h, 'POST', `/api/work-orders/${a.workOrderId}/handle`, TOKENS.bStaff, { feedback: 'x' });
    await call(h, 'GET', '/api/work-orders', 'wrong-token-123456789');
    // Each row is written before its response is sent: no waiting, and in the order of the requests.
    const rows: Json[] = (await h.pool.query('SELECT * FROM api_audit ORDER BY id')).rows;
    t.same(
      rows.map((r) => [r.action, r.result]),
      [['sign', 'ok'], ['sign', 'conflict'], ['handle', 'not_found'], ['list', 'unauthenticated']],
      'one row per request, in request order, present when the responses arrived',
    );
    const find = (what: Json): Json | undefined => rows.find((r) => Object.entries(what).every(([k, v]) => r[k] === v));
    const signed = find({ action: 'sign', result: 'ok' });
    t.match(signed, { user_id: 'li.staff', department_id: 'dept-a', role: 'staff', action: 'sign', work_order_id: a.workOrderId, method: 'POST', path: '/api/work-orders/:id/sign', ip: '127.0.0.1', result: 'ok', status_code: 200, detail: { status: 'signed' } });
    t.ok(signed?.at instanceof Date);
    t.match(find({ action: 'sign', result: 'conflict' }), { status_code: 409, error_code: 'SW_ROUTER_WO_INVALID_TRANSITION' });
    t.match(find({ action: 'handle' }), { user_id: 'zhao.staff', department_id: 'dept-b', result: 'not_found', status_code: 404 });
    t.match(find({ action: 'list' }), { user_id: null, result: 'unauthenticated', error_code: 'SW_ROUTER_AUTH_INVALID' });
    const everything = JSON.stringify(rows) + lines.join('');
    for (const token of [...Object.values(TOKENS), 'wrong-token-123456789']) t.notOk(everything.includes(token), 'no token stored or logged');
    t.match(await h.registry.metrics(), /streetwatch_workorder_api_requests_total\{action="sign",result="ok"[^}]*\} 1/);
  });

  t.test('rate limits answer 429 per user, and failed logins are limited per address', async (t) => {
    const h = await harness(t, kafka, { api: { rateLimitMax: 5, authFailuresPerMinute: 3 } });
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await call(h, 'GET', '/api/me', TOKENS.aStaff)).status);
    t.same(codes, [200, 200, 200, 200, 200, 429, 429]);
    const limited = await call(h, 'GET', '/api/me', TOKENS.aStaff);
    t.equal(limited.body.error.code, 'SW_ROUTER_RATE_LIMITED');
    t.ok(limited.headers['retry-after'], 'says when to retry');
    t.equal((await call(h, 'GET', '/api/me', TOKENS.bStaff)).status, 200, 'another user is not affected');
    for (let i = 0; i < 3; i++) t.equal((await call(h, 'GET', '/api/me', `guess-${i}-0000000000`)).status, 401);
    const blocked = await call(h, 'GET', '/api/me', 'guess-4-0000000000');
    t.equal(blocked.status, 429, 'guessing tokens is throttled');
    t.equal(blocked.body.error.code, 'SW_ROUTER_RATE_LIMITED');
  });

  t.test('lockout: after many wrong tokens from one address the right token from that address still gets 200, while the guesser is throttled', async (t) => {
    // The default limit (20 a minute): the scenario was 19 bad tokens, then 429 for everyone.
    const h = await harness(t, kafka);
    const other = createOpsServer({ registry: createRegistry('second-instance'), log: kafka.log });
    await registerWorkOrderRoutes(other, { workOrders: h.wo });
    await other.ready();
    t.teardown(() => other.close());
    const at = (app: typeof other, token: string, remoteAddress = '10.1.2.3') =>
      app.inject({ method: 'GET', url: '/api/me', headers: auth(token), remoteAddress }).then((r) => ({ status: r.statusCode, body: JSON.parse(r.body) as Json, headers: r.headers }));
    const guesses: number[] = [];
    for (let i = 0; i < 26; i++) guesses.push((await at(i % 2 ? other : h.app, `guess-${i}-00000000000000`)).status);
    t.same(guesses, [...Array<number>(20).fill(401), ...Array<number>(6).fill(429)], 'the first 20 failures answer 401, the rest 429 (on either instance)');
    for (const app of [h.app, other]) {
      const right = await at(app, TOKENS.aStaff);
      t.equal(right.status, 200, 'the right token from the same address is let through');
      t.equal(right.body.id, 'li.staff');
    }
    t.equal((await at(other, TOKENS.bHead)).status, 200, 'so is every other user behind that address');
    const still = await at(h.app, 'guess-after-00000000000000');
    t.equal(still.status, 429, 'the guesser is still throttled after the right token went through');
    t.equal(still.body.error.code, 'SW_ROUTER_RATE_LIMITED');
    t.equal(still.headers['www-authenticate'], undefined, 'a throttled guess is not told to authenticate');
    t.equal((await at(h.app, 'guess-elsewhere-000000000', '10.9.9.9')).status, 401, 'another address has its own count');
    const rows = await h.pool.query<{ ip: string; n: number }>('SELECT ip, count(*)::int AS n FROM api_auth_failures GROUP BY ip ORDER BY ip');
    t.same(rows.rows, [{ ip: '10.1.2.3', n: 20 }, { ip: '10.9.9.9', n: 1 }], 'failures past the limit are not written: a guesser cannot grow the table');
    const audit = await h.pool.query<{ result: string; n: number }>(
      "SELECT result, count(*)::int AS n FROM api_audit WHERE ip = '10.1.2.3' GROUP BY result ORDER BY result",
    );
    t.same(audit.rows, [{ result: 'ok', n: 3 }, { result: 'rate_limited', n: 7 }, { result: 'unauthenticated', n: 20 }], 'every attempt is audited');
  });

  t.test('behind an ingress named in trustProxy, failed logins are counted per client (X-Forwarded-For), not for everyone behind it', async (t) => {
    const h = await harness(t, kafka, { api: { authFailuresPerMinute: 2 } });
    const behind = createOpsServer({ registry: createRegistry('behind-ingress'), log: kafka.log, trustProxy: ['10.42.0.0/16'] });
    await registerWorkOrderRoutes(behind, { workOrders: h.wo });
    await behind.ready();
    t.teardown(() => behind.close());
    const via = (client: string, token: string) =>
      behind.inject({ method: 'GET', url: '/api/me', headers: { ...auth(token), 'x-forwarded-for': client }, remoteAddress: '10.42.3.7' }).then((r) => r.statusCode);
    t.same([await via('203.0.113.5', 'guess-a-000000000000'), await via('203.0.113.5', 'guess-b-000000000000'), await via('203.0.113.5', 'guess-c-000000000000')], [401, 401, 429]);
    t.equal(await via('198.51.100.8', 'typo-000000000000000'), 401, 'another client behind the same ingress has its own count');
    const spoofed = await h.app.inject({ method: 'GET', url: '/api/me', headers: { ...auth('guess-d-000000000000'), 'x-forwarded-for': '192.0.2.99' }, remoteAddress: '10.9.9.9' });
    t.equal(spoofed.statusCode, 401);
    const rows = await h.pool.query<{ ip: string; n: number }>('SELECT ip, count(*)::int AS n FROM api_auth_failures GROUP BY ip ORDER BY ip');
    t.same(rows.rows, [{ ip: '10.9.9.9', n: 1 }, { ip: '198.51.100.8', n: 1 }, { ip: '203.0.113.5', n: 2 }], 'clients by their forwarded address; a header from an untrusted peer is not believed');
  });

  t.test('limits are counted across router instances: requests and guesses spread over two instances hit one limit', async (t) => {
    const h = await harness(t, kafka, { api: { authFailuresPerMinute: 3, rateLimitMax: 5 } });
    // A second instance on the same database: its own app, its own limiter object.
    const other = createOpsServer({ registry: createRegistry('second-instance'), log: kafka.log });
    await registerWorkOrderRoutes(other, { workOrders: h.wo });
    await other.ready();
    t.teardown(() => other.close());
    const at = (app: typeof other, token: string, remoteAddress = '127.0.0.1') =>
      app.inject({ method: 'GET', url: '/api/me', headers: auth(token), remoteAddress }).then((r) => r.statusCode);
    const spread: number[] = [];
    for (let i = 0; i < 7; i++) spread.push(await at(i % 2 === 0 ? h.app : other, TOKENS.bStaff));
    t.same(spread, [200, 200, 200, 200, 200, 429, 429], "one user's requests alternating between the instances share one budget");
    t.same([await at(h.app, 'guess-1-0000000000'), await at(other, 'guess-2-0000000000'), await at(h.app, 'guess-3-0000000000')], [401, 401, 401]);
    t.equal(await at(other, 'guess-4-0000000000'), 429, 'the other instance knows about the failures on the first');
    t.equal(await at(h.app, 'guess-5-0000000000', '10.0.0.9'), 401, 'another address is not affected');
    const rows = await h.pool.query<{ ip: string; n: number }>('SELECT ip, count(*)::int AS n FROM api_auth_failures GROUP BY ip ORDER BY ip');
    t.same(rows.rows, [{ ip: '10.0.0.9', n: 1 }, { ip: '127.0.0.1', n: 3 }], 'the failures are what the instances share (refusals while throttled are not counted again)');
  });

  t.test('/api/precision: a head gets their own department’s alerts, a supervisor every department’s, staff nothing', async (t) => {
    const h = await harness(t, kafka);
    const inA = alertFor();
    const inB = alertFor({}, { zoneId: 'Q9', cameraIds: ['cam-77'] });
    const a = await h.wo.dispatch(inA, 'dept-a');
    await h.wo.dispatch(inB, 'dept-b');
    t.equal((await call(h, 'POST', `/api/work-orders/${a.workOrderId}/mark`, TOKENS.aHead, { kind: 'false_positive' })).status, 200);
    const zones = (r: { body: Json }) => (r.body.items as Json[]).map((x) => `${x.zoneId}/${x.cameraId}/${x.falsePositives}`).sort();
    const aHead = await call(h, 'GET', '/api/precision', TOKENS.aHead);
    t.equal(aHead.status, 200);
    t.same(zones(aHead), ['P1/cam-03/1'], "dept-a's head sees dept-a's zone only");
    t.same(zones(await call(h, 'GET', '/api/precision', TOKENS.bHead)), ['Q9/cam-77/0'], "dept-b's head sees dept-b's zone only");
    t.same(zones(await call(h, 'GET', '/api/precision', TOKENS.sup)), ['P1/cam-03/1', 'Q9/cam-77/0'], 'the supervisor sees both');
    t.equal((await call(h, 'GET', '/api/precision', TOKENS.bStaff)).status, 403, 'staff: forbidden');
  });

  t.test('the OpenAPI document is valid and lists every route with its schemas', async (t) => {
    const h = await harness(t, kafka);
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    t.equal(res.statusCode, 200);
    const doc = JSON.parse(res.body) as Json;
    const v = new Validator();
    const result = await v.validate(doc);
    t.ok(result.valid, `valid OpenAPI ${doc.openapi}: ${JSON.stringify(result.errors ?? '').slice(0, 800)}`);
    const ops = Object.entries(doc.paths as Json).flatMap(([p, item]) => Object.keys(item as Json).map((m) => `${m.toUpperCase()} ${p}`));
    const expected = [
      'GET /api/me',
      'GET /api/work-orders',
      'GET /api/work-orders/{id}',
      'GET /api/work-orders/{id}/photos/{photoId}',
      'POST /api/work-orders/{id}/sign',
      'POST /api/work-orders/{id}/handle',
      'POST /api/work-orders/{id}/feedback',
      'POST /api/work-orders/{id}/verify',
      'POST /api/work-orders/{id}/close',
      'POST /api/work-orders/{id}/return',
      'POST /api/work-orders/{id}/redispatch',
      'POST /api/work-orders/{id}/mark',
      'GET /api/precision',
      'GET /api/stream',
      'GET /console',
    ];
    for (const op of expected) t.ok(ops.includes(op), `documents ${op}`);
    t.same(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: 'A department user’s token' });
    const ret = doc.paths['/api/work-orders/{id}/return'].post;
    t.same(ret.requestBody.content['application/json'].schema.required, ['reason']);
    t.ok(ret.responses['404'] && ret.responses['409'] && ret.responses['403'], 'error responses documented');
    t.ok(doc.paths['/api/work-orders/{id}/handle'].post.requestBody.content['multipart/form-data'], 'multipart documented for handle');
  });
});
