import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger, stackSettings } from '@streetwatch/platform';
import { testKafka } from '@streetwatch/platform/testing';
import { ApiTokens } from '../../src/api/tokens.js';
import { sha256Hex } from '../../src/api/auth.js';
import { auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;
const main = join(import.meta.dirname, '..', '..', 'dist', 'main.js');

async function me(h: Harness, token: string) {
  const res = await h.app.inject({ method: 'GET', url: '/api/me', headers: auth(token) });
  return { status: res.statusCode, body: JSON.parse(res.body) as Json };
}

/** `node dist/main.js tokens ...` as a real process against the harness's database. */
function cli(h: Harness, config: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const pg = stackSettings().pg;
  const env = { ...process.env, PGHOST: pg.host, PGPORT: String(pg.port), PGUSER: pg.user, PGPASSWORD: pg.password, PGDATABASE: String(h.pool.options.database) };
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [main, 'tokens', ...args, '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

function routerConfig(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'router-tokens-')), 'router.yaml');
  writeFileSync(
    file,
    [
      'departments: { dept-a: { name: A, channels: [console] } }',
      'channels: { console: { type: console } }',
      'routing: { route: { departments: [dept-a] } }',
      'workOrders:',
      '  users:',
      '    - { id: li.staff, departmentId: dept-a, role: staff }',
      '',
    ].join('\n'),
  );
  return file;
}

t.test('API tokens', async (t) => {
  const kafka = await testKafka(t, { label: 'tokens' });

  t.test('an issued token works until it expires; two are valid during a rotation; a revoked one is refused at once', async (t) => {
    const h = await harness(t, kafka);
    const tokens = new ApiTokens(h.pool);
    const now = h.clock.now();
    const old = await tokens.issue('li.staff', new Date(now + 3600_000), 'phone');
    t.match(old.token, /^swt_[A-Za-z0-9_-]{43}$/, '256 random bits');
    t.equal(old.row.id, sha256Hex(old.token).slice(0, 12));
    t.equal((await me(h, old.token)).body.id, 'li.staff');
    const fresh = await tokens.issue('li.staff', new Date(now + 90 * 86_400_000));
    t.same([(await me(h, old.token)).status, (await me(h, fresh.token)).status], [200, 200], 'old and new token both valid while the client switches');
    await tokens.revoke(old.row.id);
    const revoked = await me(h, old.token);
    t.equal(revoked.status, 401);
    t.equal(revoked.body.error.code, 'SW_ROUTER_AUTH_INVALID');
    t.equal((await me(h, fresh.token)).status, 200, 'the new one goes on');
    const stored = JSON.stringify((await h.pool.query('SELECT * FROM api_tokens')).rows);
    t.notOk(stored.includes(old.token) || stored.includes(fresh.token), 'only hashes are stored');

    const short = await tokens.issue('li.staff', new Date(now + 60_000));
    t.equal((await me(h, short.token)).status, 200);
    h.clock.advance(60_000);
    const expired = await me(h, short.token);
    t.equal(expired.status, 401, 'refused from its expiry on');
    t.equal(expired.body.error.code, 'SW_ROUTER_AUTH_EXPIRED');
    const ghost = await tokens.issue('not.configured', new Date(now + 3600_000));
    t.equal((await me(h, ghost.token)).status, 401, 'a token of a user no longer in config is refused');
  });

  t.test('a config token with tokenExpiresAt is warned about at start and refused from then on; no token reaches a log line', async (t) => {
    const lines: string[] = [];
    const log = createLogger({ name: 'tokens-test', level: 'debug', destination: new Writable({ write: (c, _e, cb) => void (lines.push(String(c)), cb()) }) });
    const h = await harness(
      t,
      kafka,
      {
        users: [
          { id: 'li.staff', departmentId: 'dept-a', role: 'staff', tokenSha256: sha256Hex(TOKENS.aStaff), tokenExpiresAt: '2026-11-26T07:00:00Z' },
          { id: 'zhou.sup', departmentId: 'command', role: 'supervisor', tokenSha256: sha256Hex(TOKENS.sup) },
        ],
      },
      { log },
    );
    const warning = lines.map((l) => JSON.parse(l) as Json).find((l) => /expires within 14 days/.test(String(l.msg)));
    t.match(warning, { level: 'warn', userId: 'li.staff', expiresAt: '2026-11-26T07:00:00.000Z' }, 'the admin is told at start');
    const issued = await new ApiTokens(h.pool).issue('zhou.sup', new Date(h.clock.now() + 3600_000));
    t.equal((await me(h, TOKENS.aStaff)).status, 200, 'before its expiry');
    t.equal((await me(h, issued.token)).status, 200);
    h.clock.advance(50 * 60_000);
    const r = await me(h, TOKENS.aStaff);
    t.equal(r.status, 401);
    t.equal(r.body.error.code, 'SW_ROUTER_AUTH_EXPIRED');
    t.equal((await me(h, TOKENS.sup)).status, 200, 'a config token without an expiry is unaffected');
    const logged = lines.join('');
    for (const token of [TOKENS.aStaff, TOKENS.sup, issued.token]) t.notOk(logged.includes(token), 'no token in the logs');
  });

  t.test('alert-router tokens issue|list|revoke: the admin rotation path, as a real process', async (t) => {
    const h = await harness(t, kafka, { users: [{ id: 'li.staff', departmentId: 'dept-a', role: 'staff' }] });
    const config = routerConfig();
    const issued = await cli(h, config, ['issue', '--user', 'li.staff', '--days', '30', '--label', 'console']);
    t.equal(issued.code, 0, issued.err);
    const token = issued.out.trim();
    t.match(token, /^swt_/, 'the token on stdout, once');
    t.match(issued.err, /issued token [0-9a-f]{12} for li\.staff, expires 20\d\d-/);
    t.notOk(issued.err.includes(token), 'not on stderr');
    // The harness's clock is in 2026-11; the CLI's expiry is 30 days from the real now.
    t.equal((await me(h, token)).status, 200, 'the issued token works against the API');
    const second = await new ApiTokens(h.pool).issue('li.staff', new Date(Date.now() + 86_400_000));
    const list = await cli(h, config, ['list']);
    t.equal(list.code, 0, list.err);
    const lines = list.out.trim().split('\n').map((l) => l.split('\t'));
    t.equal(lines.length, 2);
    t.same(lines.map((l) => [l[1], l[5]]), [['li.staff', 'valid'], ['li.staff', 'valid']]);
    t.notOk(list.out.includes(token), 'list shows ids, never tokens');
    const id = sha256Hex(token).slice(0, 12);
    const revoked = await cli(h, config, ['revoke', id]);
    t.equal(revoked.code, 0, revoked.err);
    t.equal((await me(h, token)).status, 401, 'revoked: refused');
    t.equal((await me(h, second.token)).status, 200, 'the other one goes on');
    const unknown = await cli(h, config, ['issue', '--user', 'nobody']);
    t.equal(unknown.code, 1);
    t.match(unknown.err, /SW_ROUTER_TOKEN_USER_UNKNOWN: no user nobody in .*workOrders\.users/);
  });
});
