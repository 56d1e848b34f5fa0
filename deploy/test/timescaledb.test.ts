// deploy/local/lib/timescaledb.sh, the part of `stack.sh up` that decides whether PostgreSQL
// preloads TimescaleDB. Runs the real shell functions against a scratch PostgreSQL layout (a
// pg_config that names scratch dirs) and scratch cache/vendor dirs, so no case here touches the
// machine's PostgreSQL or builds anything. The real build and the running extension are covered by
// `stack.sh up` itself and stream-processor/test/sink/history.test.ts.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const lib = join(repo, 'deploy/local/lib');
const VERSION = '2.28.3';
// Installing copies into PostgreSQL's own dirs, which the script does only as root.
const NOT_ROOT = process.getuid?.() === 0 ? false : 'the install path runs only as root (as stack.sh up does on a fresh machine)';

interface Layout {
  root: string;
  lib: string;
  share: string;
  vendor: string;
  cache: string;
  stage: string;
}

function layout(t: Test): Layout {
  const root = mkdtempSync(join(tmpdir(), 'sw-tsdb-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const l = { root, lib: join(root, 'pg/lib'), share: join(root, 'pg/share'), vendor: join(root, 'vendor'), cache: join(root, 'cache'), stage: '' };
  l.stage = join(l.cache, `timescaledb-${VERSION}-pg15/stage`);
  for (const d of [l.lib, join(l.share, 'extension'), l.vendor, join(root, 'bin'), join(root, 'state')]) mkdirSync(d, { recursive: true });
  const pgConfig = join(root, 'bin/pg_config');
  writeFileSync(pgConfig, `#!/bin/sh\ncase "$1" in --pkglibdir) echo '${l.lib}' ;; --sharedir) echo '${l.share}' ;; *) exit 1 ;; esac\n`);
  chmodSync(pgConfig, 0o755);
  return l;
}

/** Source the stack's lib files and run tsdb_ensure; print what it decided and the conf lines. */
function ensure(l: Layout, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const script = `set -euo pipefail; . '${lib}/common.sh'; . '${lib}/deps.sh'; . '${lib}/pg.sh'; . '${lib}/timescaledb.sh'
tsdb_ensure; printf 'ACTIVE=[%s]\\n' "$TSDB_ACTIVE"; tsdb_conf`;
  return new Promise((res, rej) => {
    const child = spawn('bash', ['-c', script], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: l.root,
        STREETWATCH_PG_BIN: join(l.root, 'bin'),
        STREETWATCH_STACK_DIR: join(l.root, 'state'),
        STREETWATCH_CACHE: l.cache,
        STREETWATCH_VENDOR_DIR: l.vendor,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', rej);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/** A staged build as tsdb_build leaves it: the files under the PostgreSQL dirs, then the sums. */
function stage(l: Layout): void {
  const files: Record<string, string> = {
    [join(l.lib, `timescaledb-${VERSION}.so`)]: 'loader',
    [join(l.lib, 'timescaledb.so')]: 'loader',
    [join(l.lib, `timescaledb-tsl-${VERSION}.so`)]: 'tsl',
    [join(l.share, 'extension/timescaledb.control')]: `default_version = '${VERSION}'\ntrusted = true\n`,
    [join(l.share, `extension/timescaledb--${VERSION}.sql`)]: '-- sql',
  };
  const sums: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const p = join(l.stage, path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
    sums.push(`${createHash('sha256').update(text).digest('hex')}  .${path}`);
  }
  writeFileSync(join(dirname(l.stage), 'stage.sha256'), `${sums.join('\n')}\n`);
}

t.test('without the source it says so in one line and PostgreSQL runs plain', async (t) => {
  const l = layout(t);
  const r = await ensure(l);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.match(lines[0], /^stack: TimescaleDB not installed and its source is absent \(.*timescaledb-2\.28\.3\.tar\.gz; set STREETWATCH_VENDOR_DIR\): PostgreSQL runs plain$/);
  t.same(lines.slice(1), ['ACTIVE=[]'], 'nothing preloaded');
});

t.test('STREETWATCH_TIMESCALEDB=off runs plain even where it is installed', async (t) => {
  const l = layout(t);
  stage(l);
  const r = await ensure(l, { STREETWATCH_TIMESCALEDB: 'off' });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /TimescaleDB off \(STREETWATCH_TIMESCALEDB=off\): PostgreSQL runs plain/);
  t.match(r.stdout, /ACTIVE=\[\]/);
  t.notOk(existsSync(join(l.lib, 'timescaledb.so')), 'nothing installed');
});

t.test('a source whose sha256 differs is refused with one clear line, nothing built or installed', { skip: NOT_ROOT }, async (t) => {
  const l = layout(t);
  writeFileSync(join(l.vendor, `timescaledb-${VERSION}.tar.gz`), 'not the release');
  const r = await ensure(l);
  t.not(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, r.stderr);
  t.match(lines[0], /^stack: .*timescaledb-2\.28\.3\.tar\.gz has sha256 [0-9a-f]{64}, expected ec2f7de0.* — .*STREETWATCH_TIMESCALEDB=off/);
  t.notOk(existsSync(join(l.lib, 'timescaledb.so')));
});

t.test('a staged build in the cache is checked and installed without building, then preloaded', { skip: NOT_ROOT }, async (t) => {
  const l = layout(t);
  stage(l);
  // The source must be there (it is what allows an install), but the staged build is reused.
  writeFileSync(join(l.vendor, `timescaledb-${VERSION}.tar.gz`), 'not the release: never read when the stage is good');
  const r = await ensure(l);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /installed TimescaleDB 2\.28\.3 into /);
  t.notMatch(r.stdout, /building/);
  t.match(r.stdout, /ACTIVE=\[2\.28\.3\]/);
  t.match(r.stdout, /^shared_preload_libraries = 'timescaledb'$/m);
  t.match(r.stdout, /^timescaledb\.telemetry_level = off$/m);
  t.equal(readFileSync(join(l.lib, `timescaledb-tsl-${VERSION}.so`), 'utf8'), 'tsl', 'library copied into pkglibdir');
  const again = await ensure(l, { STREETWATCH_VENDOR_DIR: join(l.root, 'gone') });
  t.match(again.stdout, /^ACTIVE=\[2\.28\.3\]$/m, 'once installed, the source is no longer needed');
  t.notMatch(again.stdout, /installed/);
});

t.test('a staged build that no longer matches its sums is rebuilt from the (checked) source', { skip: NOT_ROOT }, async (t) => {
  const l = layout(t);
  stage(l);
  writeFileSync(join(l.stage, l.lib, 'timescaledb.so'), 'tampered');
  writeFileSync(join(l.vendor, `timescaledb-${VERSION}.tar.gz`), 'not the release');
  const r = await ensure(l);
  t.not(r.code, 0, 'not installed from a damaged cache');
  t.match(r.stderr, /has sha256 .* expected/, 'it went on to rebuild, which checks the source first');
  t.notOk(existsSync(join(l.lib, 'timescaledb.so')));
});

t.test('the running stack preloads TimescaleDB exactly when .stack/env says so', async (t) => {
  const { testDatabase } = await import('@streetwatch/platform/testing');
  const { pool } = await testDatabase(t);
  const expected = process.env.STREETWATCH_PG_TIMESCALEDB ?? '';
  const created = await pool.query('CREATE EXTENSION timescaledb').then(
    () => 'created',
    (e: Error) => e.message,
  );
  if (expected) {
    t.equal(created, 'created', 'a database owner can enable it (trusted extension, library preloaded)');
    const v = await pool.query<{ extversion: string }>("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
    t.equal(v.rows[0]?.extversion, expected, 'the version .stack/env names');
  } else {
    t.not(created, 'created', `plain: it cannot be enabled (${created})`);
  }
});
