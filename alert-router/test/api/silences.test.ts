import t from 'tap';
import { Validator } from '@seriousme/openapi-schema-validator';
import { testKafka, waitFor, type TeardownHost, type TestKafka } from '@streetwatch/platform/testing';
import { silenceRoutes } from '../../src/api/silences.js';
import { SilenceStore } from '../../src/routing/silences.js';
import { auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;

interface SilenceHarness extends Harness {
  readonly changes: { n: number };
  call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: unknown): Promise<{ status: number; body: Json; headers: Record<string, unknown> }>;
}

/** The work-order API with the silence routes mounted in its scope, as main.ts does. */
async function silenceHarness(t: TeardownHost, kafka: TestKafka, raw: Record<string, unknown> = {}): Promise<SilenceHarness> {
  const changes = { n: 0 };
  const h = await harness(t, kafka, raw, {
    scoped: ({ pool, clock }) => [
      silenceRoutes({
        silences: new SilenceStore(pool, { now: () => clock.now() }),
        departments: ['dept-a', 'dept-b'],
        onChange: () => void changes.n++,
      }),
    ],
  });
  const call: SilenceHarness['call'] = async (method, url, token, payload) => {
    const res = await h.app.inject({ method, url, headers: token ? auth(token) : {}, ...(payload === undefined ? {} : { payload: payload as Json }) });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Json) : {}, headers: res.headers };
  };
  return { ...h, changes, call };
}

const inAnHour = (h: Harness): string => new Date(h.clock.now() + 3_600_000).toISOString();
const body = (h: Harness, extra: Json = {}): Json => ({ matcher: { zone: 'P1' }, endsAt: inAnHour(h), comment: '道路施工 road works', ...extra });

t.test('silence API', async (t) => {
  const kafka = await testKafka(t, { label: 'silences' });

  t.test('every silence route needs a valid bearer token', async (t) => {
    const h = await silenceHarness(t, kafka);
    for (const [method, url, payload] of [
      ['GET', '/api/v1/silences', undefined],
      ['POST', '/api/v1/silences', body(h)],
      ['DELETE', '/api/v1/silences/sil-0000', undefined],
    ] as const) {
      const none = await h.call(method, url, undefined, payload);
      t.equal(none.status, 401, `${method} ${url} without a token`);
      t.equal(none.body.error?.code, 'SW_ROUTER_AUTH_REQUIRED');
      t.match(none.headers['www-authenticate'], /^Bearer/);
      t.equal((await h.call(method, url, 'not-a-real-token-at-all', payload)).body.error?.code, 'SW_ROUTER_AUTH_INVALID');
    }
    t.equal(Number((await h.pool.query('SELECT count(*) FROM router_silences')).rows[0].count), 0, 'nothing created unauthenticated');
  });

  t.test('staff may not silence; a head silences only their own department, without regex; a supervisor any', async (t) => {
    const h = await silenceHarness(t, kafka);
    const staff = await h.call('POST', '/api/v1/silences', TOKENS.aStaff, body(h));
    t.equal(staff.status, 403);
    t.equal(staff.body.error.code, 'SW_ROUTER_WO_ROLE_FORBIDDEN');
    t.equal((await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h, { departmentId: 'dept-b' }))).status, 403, 'not another department');
    t.equal((await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h, { matcher: { regex: { zone: 'P.*' } } }))).status, 403, 'no regex');

    const head = await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h));
    t.equal(head.status, 201);
    t.match(head.body, { departmentId: 'dept-a', createdBy: 'wang.head', state: 'active', matcher: { zone: 'P1' } }, 'scoped to the head’s department, authored by the token’s user');
    const all = await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h, { matcher: { regex: { zone: 'P[0-9]+' } } }));
    t.equal(all.status, 201);
    t.notOk(all.body.departmentId, 'a supervisor’s silence without departmentId is for every department');
    t.equal((await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h, { departmentId: 'dept-b' }))).body.departmentId, 'dept-b');
    const unknown = await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h, { departmentId: 'nowhere' }));
    t.equal(unknown.status, 400);
    t.equal(unknown.body.error.code, 'SW_ROUTER_WO_UNKNOWN_DEPARTMENT');
    t.equal(h.changes.n, 3, 'the pipeline is told about each new silence');
  });

  t.test('input is validated by schema; the author cannot be named in the body', async (t) => {
    const h = await silenceHarness(t, kafka);
    const cases: Array<[Json, string]> = [
      [{ matcher: { zone: 'P1' }, endsAt: 'tomorrow', comment: 'x' }, 'body/endsAt'],
      [{ matcher: { zone: 'P1' }, endsAt: inAnHour(h) }, 'body/comment'],
      [{ matcher: { zone: 'P1', colour: 'red' }, endsAt: inAnHour(h), comment: 'x' }, 'body/matcher/colour'],
      [{ ...body(h), createdBy: 'someone-else' }, 'body/createdBy'],
    ];
    for (const [payload, field] of cases) {
      const r = await h.call('POST', '/api/v1/silences', TOKENS.sup, payload);
      t.equal(r.status, 400, JSON.stringify(payload));
      t.equal(r.body.error.code, 'SW_ROUTER_INVALID_INPUT');
      t.ok(r.body.error.fields.some((f: Json) => f.path === field), `names ${field}: ${JSON.stringify(r.body.error.fields)}`);
    }
    const past = await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h, { endsAt: '2020-01-01T00:00:00Z' }));
    t.equal(past.status, 400);
    t.equal(past.body.error.code, 'SW_ROUTER_SILENCE_INVALID');
    const empty = await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h, { matcher: {} }));
    t.equal(empty.body.error.code, 'SW_ROUTER_SILENCE_INVALID', 'a silence of everything is refused');
    t.equal((await h.call('DELETE', '/api/v1/silences/not%20an%20id', TOKENS.sup)).body.error.fields[0].path, 'params/silenceId');
  });

  t.test('each department lists the silences that apply to it; supervisors list all', async (t) => {
    const h = await silenceHarness(t, kafka);
    const a = (await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h))).body.silenceId;
    const b = (await h.call('POST', '/api/v1/silences', TOKENS.bHead, body(h))).body.silenceId;
    const all = (await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h))).body.silenceId;
    const ids = async (token: string, q = ''): Promise<string[]> =>
      ((await h.call('GET', `/api/v1/silences${q}`, token)).body.silences as Json[]).map((s) => s.silenceId as string).sort();
    t.same(await ids(TOKENS.aStaff), [a, all].sort(), 'staff see their department’s and the city-wide ones');
    t.same(await ids(TOKENS.bHead), [b, all].sort());
    t.same(await ids(TOKENS.aStaff, '?departmentId=dept-b'), [a, all].sort(), 'a non-supervisor cannot widen the filter');
    t.same(await ids(TOKENS.sup), [a, b, all].sort());
    t.same(await ids(TOKENS.sup, '?departmentId=dept-b'), [b, all].sort());
  });

  t.test('expiring: another department’s silence answers 404, a city-wide one 403 for heads, staff 403', async (t) => {
    const h = await silenceHarness(t, kafka);
    const a = (await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h))).body.silenceId as string;
    const all = (await h.call('POST', '/api/v1/silences', TOKENS.sup, body(h))).body.silenceId as string;
    const foreign = await h.call('DELETE', `/api/v1/silences/${a}`, TOKENS.bHead);
    const missing = await h.call('DELETE', '/api/v1/silences/sil-does-not-exist', TOKENS.bHead);
    t.equal(foreign.status, 404);
    t.same(foreign.body.error.code, missing.body.error.code, 'indistinguishable from a missing silence');
    t.equal(foreign.body.error.code, 'SW_ROUTER_SILENCE_NOT_FOUND');
    t.equal((await h.call('DELETE', `/api/v1/silences/${a}`, TOKENS.aStaff)).status, 403, 'staff cannot expire');
    const cityWide = await h.call('DELETE', `/api/v1/silences/${all}`, TOKENS.aHead);
    t.equal(cityWide.status, 403, 'a head cannot lift the supervisors’ silence');
    t.equal(cityWide.body.error.code, 'SW_ROUTER_WO_ROLE_FORBIDDEN');

    const done = await h.call('DELETE', `/api/v1/silences/${a}`, TOKENS.aHead);
    t.equal(done.status, 200);
    t.match(done.body, { state: 'expired', expiredBy: 'wang.head' });
    t.equal((await h.call('DELETE', `/api/v1/silences/${a}`, TOKENS.aHead)).status, 404, 'already expired');
    t.equal((await h.call('DELETE', `/api/v1/silences/${all}`, TOKENS.sup)).body.expiredBy, 'zhou.sup');
  });

  t.test('every silence action is audited with the user and the silence', async (t) => {
    const h = await silenceHarness(t, kafka);
    const s = (await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h))).body.silenceId as string;
    await h.call('POST', '/api/v1/silences', TOKENS.aStaff, body(h));
    await h.call('GET', '/api/v1/silences', TOKENS.aStaff);
    await h.call('DELETE', `/api/v1/silences/${s}`, TOKENS.bHead);
    await h.call('DELETE', `/api/v1/silences/${s}`, TOKENS.aHead);
    await h.call('GET', '/api/v1/silences');
    const rows: Json[] = await waitFor('six audit rows', async () => {
      const r = await h.pool.query('SELECT * FROM api_audit ORDER BY id');
      return r.rows.length >= 6 ? r.rows : null;
    });
    // Audit rows are written after each response: their order across requests is not guaranteed.
    const find = (what: Json): Json | undefined => rows.find((r) => Object.entries(what).every(([k, v]) => r[k] === v));
    t.match(find({ user_id: 'wang.head', action: 'silence_create' }), { department_id: 'dept-a', role: 'head', method: 'POST', path: '/api/v1/silences', result: 'ok', status_code: 201, work_order_id: null, detail: { silenceId: s, departmentId: 'dept-a' } });
    t.match(find({ user_id: 'li.staff', action: 'silence_create' }), { result: 'forbidden', status_code: 403, error_code: 'SW_ROUTER_WO_ROLE_FORBIDDEN' });
    t.match(find({ user_id: 'li.staff', action: 'silence_list' }), { result: 'ok' });
    t.match(find({ user_id: 'chen.head', action: 'silence_expire' }), { path: '/api/v1/silences/:silenceId', result: 'not_found', detail: { silenceId: s } });
    t.match(find({ user_id: 'wang.head', action: 'silence_expire' }), { result: 'ok', status_code: 200, detail: { silenceId: s } });
    t.match(find({ user_id: null, action: 'silence_list' }), { result: 'unauthenticated', error_code: 'SW_ROUTER_AUTH_REQUIRED' });
    t.match(await h.registry.metrics(), /streetwatch_workorder_api_requests_total\{action="silence_create",result="ok"[^}]*\} 1/);
  });

  t.test('silence routes count against the same per-user rate limit as the rest of the API', async (t) => {
    const h = await silenceHarness(t, kafka, { api: { rateLimitMax: 3 } });
    const codes: number[] = [];
    codes.push((await h.call('GET', '/api/me', TOKENS.aHead)).status);
    for (let i = 0; i < 3; i++) codes.push((await h.call('GET', '/api/v1/silences', TOKENS.aHead)).status);
    t.same(codes, [200, 200, 200, 429]);
    const limited = await h.call('POST', '/api/v1/silences', TOKENS.aHead, body(h));
    t.equal(limited.body.error.code, 'SW_ROUTER_RATE_LIMITED');
  });

  t.test('the OpenAPI document lists the silence routes with their schemas and security', async (t) => {
    const h = await silenceHarness(t, kafka);
    const doc = JSON.parse((await h.app.inject({ method: 'GET', url: '/openapi.json' })).body) as Json;
    const result = await new Validator().validate(doc);
    t.ok(result.valid, `valid OpenAPI: ${JSON.stringify(result.errors ?? '').slice(0, 800)}`);
    const create = doc.paths['/api/v1/silences'].post;
    t.same(create.security, [{ bearerAuth: [] }]);
    t.same(create.requestBody.content['application/json'].schema.required.sort(), ['comment', 'endsAt', 'matcher']);
    t.ok(create.responses['201'] && create.responses['401'] && create.responses['403'] && create.responses['429']);
    t.ok(doc.paths['/api/v1/silences'].get.responses['200']);
    t.ok(doc.paths['/api/v1/silences/{silenceId}'].delete.responses['404']);
    t.ok((doc.tags as Json[]).some((x) => x.name === 'silences'));
  });
});
