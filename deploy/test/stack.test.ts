// The local stack (deploy/local/stack.sh) against the real broker and database it starts.
// Never runs `down`: other test files share the running stack. Bad-input cases use their own
// throw-away state dir, so they cannot disturb it.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKafka, createLogger, stackSettings } from '@streetwatch/platform';
import pg from 'pg';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const stackSh = join(repo, 'deploy/local/stack.sh');
const stackDir = join(repo, '.stack');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

// Run stack.sh with a hard deadline (stack.sh bounds its own waits; this guards the test).
function stack(args: string[], env: Record<string, string> = {}, timeoutMs = 200_000): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
    if (!('STREETWATCH_STACK_DIR' in env)) delete childEnv.STREETWATCH_STACK_DIR;
    const child = spawn('bash', [stackSh, ...args], { cwd: repo, env: childEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

// The settings `up` wrote, as the shell sees them after `. .stack/env`.
async function stackEnv(): Promise<Record<string, string>> {
  const keys = [
    'STREETWATCH_KAFKA_BROKERS',
    'STREETWATCH_KAFKA_HOME',
    'STREETWATCH_KAFKA_SSL_CA_FILE',
    'STREETWATCH_KAFKA_SASL_USERNAME',
    'STREETWATCH_KAFKA_SASL_PASSWORD_FILE',
    'STREETWATCH_KAFKA_SECRETS_DIR',
    'STREETWATCH_VIDEO_DIR',
    'PGHOST',
    'PGPORT',
    'PGUSER',
    'PGPASSWORD',
    'PGDATABASE',
  ];
  const script = `. "$1" && for k in ${keys.join(' ')}; do printf '%s=%s\\n' "$k" "\${!k}"; done`;
  const out = await new Promise<string>((res, rej) => {
    const child = spawn('bash', ['-c', script, 'bash', join(stackDir, 'env')]);
    let s = '';
    child.stdout.on('data', (b: Buffer) => (s += b.toString()));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res(s) : rej(new Error(`sourcing .stack/env exited ${code}`))));
  });
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

function scratchDir(t: Test, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sw-stack-${name}-`));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// One clear line: `stack: <what failed> — <what to do>`.
function assertOneClearLine(t: Test, run: Run, what: RegExp): void {
  t.not(run.code, 0, 'exits non-zero');
  const lines = run.stderr.trim().split('\n');
  t.equal(lines.length, 1, `stderr is one line: ${run.stderr}`);
  t.match(lines[0], /^stack: .+ — .+$/, 'says what failed and what to do');
  t.match(lines[0], what);
}

t.test('up on a running stack keeps it as it is and says it is already running', async (t) => {
  const first = await stack(['up']);
  t.equal(first.code, 0, `stack.sh up succeeds: ${first.stderr}`);
  const pids = () => [readFileSync(join(stackDir, 'kafka.pid'), 'utf8'), readFileSync(join(stackDir, 'pg.pid'), 'utf8')];
  const before = pids();

  const again = await stack(['up']);
  t.equal(again.code, 0, 'a second up exits 0');
  t.match(again.stdout, /already running/);
  t.same(pids(), before, 'the broker and the database were not restarted');
});

t.test('status lists the broker and the database as reachable and exits 0', async (t) => {
  const run = await stack(['status']);
  t.equal(run.code, 0, `status exits 0: ${run.stdout}${run.stderr}`);
  t.match(run.stdout, /^kafka\s+running\s+pid \d+\s+127\.0\.0\.1:\d+ .*metadata yes/m);
  t.match(run.stdout, /^postgres\s+running\s+pid \d+\s+127\.0\.0\.1:\d+ .*accepting yes/m);
  t.match(run.stdout, /^s3\s+running\s+pid \d+\s+127\.0\.0\.1:\d+ .*answering yes/m, 'the evidence store (SeaweedFS) answers signed S3 requests');
});

t.test('the settings in .stack/env reach the broker, the database and the test video', async (t) => {
  const env = await stackEnv();

  // TLS (the stack's CA) + SASL SCRAM-SHA-512 as the admin, all from .stack/env.
  const kafka = stackSettings(env).kafka;
  t.ok(kafka.ssl?.ca?.includes('BEGIN CERTIFICATE'), 'the CA file is a PEM certificate');
  t.equal(kafka.sasl?.username, 'streetwatch-admin');
  const admin = createKafka({ ...kafka, clientId: 'stack-test' }, createLogger({ name: 'stack-test', level: 'silent' })).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const cluster = await admin.describeCluster();
  t.equal(cluster.brokers.length, 1, 'one KRaft broker answers metadata');

  const client = new pg.Client({
    host: env.PGHOST,
    port: Number(env.PGPORT),
    user: env.PGUSER,
    password: env.PGPASSWORD,
    database: env.PGDATABASE,
  });
  await client.connect();
  t.teardown(() => client.end());
  const res = await client.query<{ usr: string; db: string; version: string }>(
    'SELECT current_user AS usr, current_database() AS db, current_setting($1) AS version',
    ['server_version_num'],
  );
  t.same(res.rows[0]?.usr, 'streetwatch');
  t.same(res.rows[0]?.db, 'streetwatch');
  t.match(res.rows[0]?.version, /^15/, 'PostgreSQL 15');

  t.ok(existsSync(join(env.STREETWATCH_VIDEO_DIR ?? '', 'vtest.avi')), 'vtest.avi is there');
  t.ok(existsSync(join(env.STREETWATCH_VIDEO_DIR ?? '', 'licenseplate_motion.jpg')), 'a still is there');
  t.ok(existsSync(join(env.STREETWATCH_KAFKA_HOME ?? '', 'lib/kafka_2.13-4.1.1.jar')), 'the pinned broker jar');
});

t.test('a pinned port that is busy fails with one clear line and starts nothing', async (t) => {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  const port = (server.address() as AddressInfo).port;
  const dir = scratchDir(t, 'port');

  const run = await stack(['up'], { STREETWATCH_STACK_DIR: dir, STREETWATCH_STACK_KAFKA_PORT: String(port) });
  assertOneClearLine(t, run, new RegExp(`port ${port} .*in use`));
  t.notOk(existsSync(join(dir, 'kafka.pid')), 'no broker was started');
  t.notOk(existsSync(join(dir, 'pg.pid')), 'no database was started');
});

t.test('a missing java fails with one clear line', async (t) => {
  const dir = scratchDir(t, 'java');
  const run = await stack(['up'], { STREETWATCH_STACK_DIR: dir, STREETWATCH_JAVA: join(dir, 'no-such-java') });
  assertOneClearLine(t, run, /java not found/);
});

t.test('a Maven resolution failure fails with one clear line', async (t) => {
  const dir = scratchDir(t, 'mvn');
  mkdirSync(join(dir, 'bin'));
  const fakeMvn = join(dir, 'bin', 'mvn');
  writeFileSync(fakeMvn, '#!/bin/sh\necho "[ERROR] Could not resolve dependencies" >&2\nexit 1\n');
  chmodSync(fakeMvn, 0o755);
  const run = await stack(['up'], {
    STREETWATCH_STACK_DIR: join(dir, 'stack'),
    STREETWATCH_CACHE: join(dir, 'cache'),
    PATH: `${join(dir, 'bin')}:${process.env.PATH ?? ''}`,
  });
  assertOneClearLine(t, run, /Maven could not resolve org\.apache\.kafka:kafka_2\.13/);
  t.notOk(existsSync(join(dir, 'cache', 'kafka-4.1.1')), 'nothing half-fetched is left as cached');
});

t.test('a SeaweedFS build that fails is one clear line, and nothing half-built is cached', async (t) => {
  const dir = scratchDir(t, 'go');
  const fakeGo = join(dir, 'go');
  writeFileSync(fakeGo, '#!/bin/sh\necho "go: module lookup disabled by GOPROXY=off" >&2\nexit 1\n');
  chmodSync(fakeGo, 0o755);
  const lib = join(repo, 'deploy/local/lib');
  const run = await new Promise<Run>((res) => {
    const child = spawn('bash', ['-c', `set -euo pipefail; . "${lib}/common.sh"; . "${lib}/s3.sh"; s3_fetch`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, STREETWATCH_CACHE: join(dir, 'cache'), STREETWATCH_STACK_DIR: join(dir, 'stack'), STREETWATCH_GO: fakeGo },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
  assertOneClearLine(t, run, /building SeaweedFS v0\.0\.0-\S+ failed: go: module lookup disabled by GOPROXY=off \(log: /);
  t.notOk(existsSync(join(dir, 'cache', 'seaweedfs-v0.0.0-20261109003541-7506e5f91cd6', 'weed')), 'no binary cached');
});
