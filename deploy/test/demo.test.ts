// The demo (`npm run demo` = scripts/demo.sh) once, for real: RTSP camera → edge gateway → Kafka →
// stream processor → alert router, on the running local stack. DEMO_ONCE=1 makes it stop after
// the story. Whatever happens, teardown stops the script and every process it recorded.
import t, { type Test } from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createKafka, createLogger, stackSettings } from '@streetwatch/platform';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(repo, 'scripts/demo.sh');
const demoDir = join(repo, '.stack/demo');

interface DemoRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Processes the script reported starting (`<name>: pid <n>, log ...`). */
  pids: Map<string, number>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stop a process group recorded under .stack/demo/pids if it is still ours (cmdline under the repo). */
function killRecorded(): void {
  if (!existsSync(join(demoDir, 'pids'))) return;
  for (const f of readdirSync(join(demoDir, 'pids'))) {
    const pid = Number(readFileSync(join(demoDir, 'pids', f), 'utf8').trim());
    if (!pid || !alive(pid)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!cmd.includes(repo)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      process.kill(pid, 'SIGKILL');
    }
  }
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

/** Runs the demo under a hard deadline; teardown stops it (its own cleanup first) and anything it left. */
function runDemo(t: Test, env: Record<string, string>, deadlineMs: number): Promise<DemoRun> {
  const child = spawn('bash', [script], { cwd: repo, env: { ...process.env, ...env, DEMO_ONCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  t.teardown(async () => {
    if (!(await exited(child, 0))) {
      child.kill('SIGTERM'); // the script stops what it started, in reverse order
      if (!(await exited(child, 60_000)) && child.pid) process.kill(-child.pid, 'SIGKILL');
    }
    killRecorded();
    // data of a run that could not clean up (the next demo would remove it too)
    spawnSync('flock', ['-n', join(demoDir, 'lock'), process.execPath, join(repo, 'examples/demo/lib/admin.mjs'), 'drop-stale'], { stdio: 'ignore', timeout: 60_000 });
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => child.kill('SIGTERM'), deadlineMs);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      const pids = new Map<string, number>();
      for (const m of stdout.matchAll(/^(\S+): pid (\d+), log /gm)) pids.set(m[1] ?? '', Number(m[2]));
      done({ code, stdout, stderr, pids });
    });
  });
}

async function demoTopics(prefix: string): Promise<string[]> {
  const admin = createKafka({ ...stackSettings().kafka, clientId: 'deploy-test' }, createLogger({ name: 'deploy-test', level: 'silent' })).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).filter((n) => n.startsWith(prefix));
  } finally {
    await admin.disconnect();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const c = new pg.Client({ ...stackSettings().pg, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
  } finally {
    await c.end();
  }
}

t.test('DEMO_ONCE=1 tells the story of the parked car (violation, alertId, work order, console, evidence) and exits 0 with everything stopped', async (t) => {
  const r = await runDemo(t, { DEMO_TIMEOUT: '120' }, 200_000);
  if (r.code !== 0) t.comment(`demo output (tail):\n${`${r.stdout}\n${r.stderr}`.slice(-4000)}`);
  t.equal(r.code, 0, 'exits 0');
  t.match(r.stdout, /violation start\s+v-[0-9a-f]+: car stopped in no-parking zone P1 of cam-03/, 'the edge violation, read from Kafka');
  t.match(r.stdout, /alertId=al-[0-9a-f]+/, 'an alert id');
  t.match(r.stdout, /workOrderId=wo-[0-9a-f]+ \(#\d+\), department demo-chengguan, status dispatched/, 'a work order, read back through the API');
  t.match(r.stdout, /told by (?=.*console)(?=.*kafka-dept)(?=.*webhook)/, 'delivered on the console, the department queue and the webhook');
  t.match(r.stdout, /evidence\s+http:\/\/127\.0\.0\.1:\d+\/e\/[0-9a-z]+\.[A-Za-z0-9_-]{16}/, 'the picture through a signed link of the router (from the evidence store)');
  t.match(r.stdout, /console\s+http:\/\/127\.0\.0\.1:\d+\/console/, 'the console URL');
  t.match(r.stdout, /demo token\s+\S+/, 'the demo token');
  t.match(r.stdout, /demo: complete/, 'says it is complete');

  t.same([...r.pids.keys()].sort(), ['gateway', 'processor', 'router', 'rtsp-camera', 'webhook'], 'the five processes it started');
  t.same([...r.pids].filter(([, pid]) => alive(pid)), [], 'none of them still runs');
  const run = /topics demo-(\d+)\.streetwatch/.exec(r.stdout)?.[1];
  t.ok(run, 'the run id is printed');
  if (run) {
    t.same(await demoTopics(`demo-${run}.`), [], "the run's topics are deleted");
    t.equal(await databaseExists(`streetwatch_demo_${run}`), false, "the run's database is dropped");
  }
});

t.test('when the chain cannot complete in time it exits non-zero naming the stage and its log, and stops what it started', async (t) => {
  const r = await runDemo(t, { DEMO_TIMEOUT: '3' }, 120_000);
  if (r.code !== 1) t.comment(`demo output (tail):\n${`${r.stdout}\n${r.stderr}`.slice(-4000)}`);
  t.equal(r.code, 1, 'exits 1');
  t.match(r.stderr, /demo: FAILED at stage '(camera|violation|alert|work order)' \([^)]+\): nothing within 3 s/, 'the stage that did not deliver');
  t.match(r.stderr, /logs: \S+\.log/, 'the log to read');
  t.ok(r.pids.size >= 2, `it had started ${[...r.pids.keys()].join(', ')}`);
  t.same([...r.pids].filter(([, pid]) => alive(pid)), [], 'none of them still runs');
});
