/**
 * End to end, on the demo pipeline (scripts/demo.sh: four RTSP cameras looping the parking,
 * dumping, spillover and vendor quality scenes → edge gateway → Kafka → stream processor → alert
 * router, real everything): how long from the frame in which a rule's threshold is crossed to the
 * department being told, and what the pipeline costs per camera.
 *
 *   nice -n 10 npx tsx bench/e2e/run.ts [--violations 50] [--max-minutes 30]
 *
 * (needs the local stack and a build, as the demo does; one demo at a time per checkout.)
 *
 * Threshold crossed: the alert's `eventTime`, the event time (frame time, the gateway's wall clock
 * when the frame arrived) at which the processor's rule held: for the parking `dwell` rule the car's
 * `startedAt` + 20 s, known once an update (every 5 s) or the watermark proves it; for the `count`
 * rule of the other three types the frame of the violation start (the edge's own dwell crossed).
 * Told: the wall-clock time each department channel delivered it, seen from the department's side:
 *   console  the `workorder` event (dispatched) on the console's live stream (GET /api/stream, SSE,
 *            the demo user's token), read here as the browser would;
 *   queue    the DepartmentNotice on the department's Kafka topic, consumed here;
 *   webhook  the receiver's arrival time of the signed POST (examples/demo/lib/webhook-receiver.mjs).
 * Splits: frame → alert produced (edge + Kafka + processor: alert.createdAt − eventTime) and alert
 * produced → told (router + channel). Only alerts whose threshold was crossed after the observers
 * were connected count.
 *
 * CPU: /proc of each process tree (bench/e2e/cpu.ts) over the measuring window: the gateway with its
 * ffmpeg decoders, the processor, the router; the stack's Kafka broker, PostgreSQL and SeaweedFS
 * (this checkout's own stack, used by the demo only while it runs); the cameras (gst-rtsp-server
 * serving pre-encoded copies: a real camera's CPU is not the box's) and Prometheus apart. The whole
 * machine's busy CPU and load average are recorded too: on a shared box the latency depends on
 * them, the CPU per camera much less.
 *
 * Writes bench/results/e2e.json. No assertions: numbers only.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import kafkajs from 'kafkajs';
import { decodeContract, stackSettings } from '@streetwatch/platform';
import { departmentTopic, TOPICS, topicName, type Alert, type DepartmentNotice } from '@streetwatch/schemas';
import { machineCpu, treeCpuSeconds } from './cpu.js';

const here = dirname(fileURLToPath(import.meta.url));
const REPO = join(here, '..', '..');
const OUT = join(REPO, 'bench', 'results', 'e2e.json');
const DEMO_DIR = join(REPO, '.stack', 'demo');
const CAMERAS = 4;

const { values: o } = parseArgs({
  options: {
    violations: { type: 'string', default: '50' },
    'max-minutes': { type: 'string', default: '30' },
  },
});
const WANT = Number(o.violations);
const MAX_MS = Number(o['max-minutes']) * 60_000;

const log = (s: string) => process.stdout.write(`[e2e ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** The stack's settings (.stack/env: `export KEY=value` lines) into this process's environment. */
function loadStackEnv(): void {
  const file = join(REPO, '.stack', 'env');
  if (!existsSync(file)) throw new Error(`no ${file}: start the stack (npm run stack:up)`);
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2] as string;
    if (/^'.*'$/.test(v)) v = v.slice(1, -1).replace(/'\\''/g, "'");
    else if (/^".*"$/.test(v)) v = v.slice(1, -1);
    process.env[m[1] as string] ??= v;
  }
}

function pct(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round((s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number) * 1000) / 1000;
}
const stats = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p90: pct(xs, 90), p99: pct(xs, 99), max: pct(xs, 100) });

interface Seen {
  alert: Alert;
  told: { console?: number; queue?: number; webhook?: number };
}

/** Stops the demo (set once it runs); also on a failure, so nothing is left running. */
let stopDemo: () => Promise<void> = async () => undefined;

async function main(): Promise<void> {
  loadStackEnv();
  const loadAtStart = loadavg();
  log(`load average at start ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}, ${cpus().length} CPUs`);

  // ---- the demo, following (it keeps running after its stories) ----
  const demo = spawn('bash', [join(REPO, 'scripts', 'demo.sh')], {
    cwd: REPO,
    env: { ...process.env, DEMO_ONCE: '0', DEMO_TIMEOUT: '300', DEMO_CAMERA_MINUTES: String(Math.ceil(MAX_MS / 60_000) + 10) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  demo.stdout.on('data', (b: Buffer) => (out += b.toString()));
  demo.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => demo.once('exit', (code) => r(code)));
  let stopping = false;
  stopDemo = async () => {
    if (stopping) return;
    stopping = true;
    demo.kill('SIGTERM'); // the script stops what it started, in reverse order, and removes the run
    const timer = setTimeout(() => demo.pid && process.kill(-demo.pid, 'SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
  };
  process.on('SIGINT', () => void stopDemo().then(() => process.exit(130)));

  const started = Date.now();
  while (!/^Running: /m.test(out)) {
    if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}) before its stories were complete:\n${out.slice(-3000)}`);
    if (Date.now() - started > 600_000) throw new Error(`the demo's stories were not complete within 10 min:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  const router = /console\s+(http:\/\/127\.0\.0\.1:\d+)\/console/.exec(out)?.[1];
  const token = /demo token\s+(\S+)/.exec(out)?.[1];
  const run = /topics demo-(\d+)\.streetwatch/.exec(out)?.[1];
  if (!router || !token || !run) throw new Error('the demo did not print its router, token and run');
  const prefix = `demo-${run}.`;
  log(`demo run ${run} up (${((Date.now() - started) / 1000).toFixed(0)} s); measuring until ${WANT} violations are told on every channel`);

  const seen = new Map<string, Seen>();
  const early = { console: new Map<string, number>(), queue: new Map<string, number>(), webhook: new Map<string, number>() };
  const tell = (channel: 'console' | 'queue' | 'webhook', alertId: string, at: number) => {
    const s = seen.get(alertId);
    if (s) s.told[channel] ??= at;
    else if (!early[channel].has(alertId)) early[channel].set(alertId, at);
  };

  // ---- observers ----
  const settings = stackSettings(process.env);
  const { brokers, ssl, sasl } = settings.kafka;
  const kafka = new kafkajs.Kafka({
    clientId: 'bench-e2e',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    ...(ssl ? { ssl: { ca: ssl.ca ? [ssl.ca] : undefined, rejectUnauthorized: true } } : {}),
    ...(sasl ? { sasl: { mechanism: 'scram-sha-512' as const, username: sasl.username, password: sasl.password } } : {}),
  });
  const alertsTopic = topicName(TOPICS.alerts, prefix);
  const deptTopic = topicName(departmentTopic('demo-chengguan'), prefix);
  const consumer = kafka.consumer({ groupId: `${prefix}bench-e2e-${process.pid}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: [alertsTopic, deptTopic], fromBeginning: true });
  const observedFrom = Date.now();
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const at = Date.now();
      if (topic === alertsTopic) {
        const r = decodeContract('Alert', message.value);
        if (!r.ok) return;
        const a = r.value as Alert;
        if (!seen.has(a.alertId)) {
          const s: Seen = { alert: a, told: {} };
          for (const ch of ['console', 'queue', 'webhook'] as const) {
            const t = early[ch].get(a.alertId);
            if (t !== undefined) s.told[ch] = t;
          }
          seen.set(a.alertId, s);
        }
      } else {
        const r = decodeContract('DepartmentNotice', message.value);
        if (r.ok) tell('queue', (r.value as DepartmentNotice).alert.alertId, at);
      }
    },
  });

  // console: the live stream as the browser reads it
  const sse = new AbortController();
  const consoleDone = (async () => {
    const res = await fetch(`${router}/api/stream`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: sse.signal });
    if (res.status !== 200 || !res.body) throw new Error(`GET /api/stream answered ${res.status}`);
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const at = Date.now();
      buf += dec.decode(value, { stream: true });
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (!/^event: workorder$/m.test(block)) continue;
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (!data) continue;
        const m = JSON.parse(data) as { event: { action: string; alertId: string } };
        if (m.event.action === 'dispatched') tell('console', m.event.alertId, at);
      }
    }
  })().catch((e: Error) => {
    if (e.name !== 'AbortError') log(`console stream: ${e.message}`);
  });

  // webhook: the receiver's own log of arrivals (its clock is this machine's)
  const webhookLog = join(DEMO_DIR, 'run', 'webhook-received.jsonl');
  let webhookRead = 0;
  const readWebhook = () => {
    if (!existsSync(webhookLog)) return;
    const lines = readFileSync(webhookLog, 'utf8').split('\n');
    for (const l of lines.slice(webhookRead, -1)) {
      const e = JSON.parse(l) as { at: string; target?: string; alerts?: Array<{ alertId: string }> };
      if (e.target !== undefined && e.target !== 'department') continue; // an escalation to a target (on-duty...), not the department's notice
      for (const a of e.alerts ?? []) tell('webhook', a.alertId, Date.parse(e.at));
    }
    webhookRead = Math.max(webhookRead, lines.length - 1);
  };

  // ---- CPU ----
  const pidOf = (f: string) => Number(readFileSync(f, 'utf8').trim().split('\n')[0]);
  const roots: Record<string, number> = {};
  for (const name of ['gateway', 'processor', 'router', 'prometheus', 'webhook', 'rtsp-cam-01', 'rtsp-cam-02', 'rtsp-cam-03', 'rtsp-cam-04']) {
    const f = join(DEMO_DIR, 'pids', `${name}.pid`);
    if (existsSync(f)) roots[name] = pidOf(f);
  }
  for (const [name, file] of [['kafka', 'kafka.pid'], ['postgresql', 'pg.pid'], ['seaweedfs', 's3.pid']] as const) {
    const f = join(REPO, '.stack', file);
    if (existsSync(f)) roots[name] = pidOf(f);
  }
  const cpu0 = treeCpuSeconds(roots);
  const m0 = machineCpu();
  const t0 = Date.now();

  const counted = () =>
    [...seen.values()].filter((s) => s.alert.ruleKind !== 'score' && Date.parse(s.alert.eventTime) >= observedFrom && s.told.console && s.told.queue && s.told.webhook);
  let last = 0;
  let lastLog = Date.now();
  while (counted().length < WANT) {
    readWebhook();
    if (demo.exitCode !== null) throw new Error(`the demo exited (${demo.exitCode}) while measuring:\n${out.slice(-3000)}`);
    if (Date.now() - t0 > MAX_MS) {
      log(`stopping after ${o['max-minutes']} min with ${counted().length} violations told`);
      break;
    }
    if (counted().length !== last || Date.now() - lastLog > 60_000) {
      last = counted().length;
      lastLog = Date.now();
      const alerts = [...seen.values()].filter((x) => x.alert.ruleKind !== 'score' && Date.parse(x.alert.eventTime) >= observedFrom);
      const on = (ch: 'console' | 'queue' | 'webhook') => alerts.filter((x) => x.told[ch] !== undefined).length;
      log(`${last}/${WANT} violations told on every channel; ${alerts.length} alerts since start (console ${on('console')}, queue ${on('queue')}, webhook ${on('webhook')}); load ${loadavg()[0]?.toFixed(2)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  readWebhook();
  const t1 = Date.now();
  const cpu1 = treeCpuSeconds(roots);
  const m1 = machineCpu();
  const loadAtEnd = loadavg();
  sse.abort();
  await consoleDone;
  await consumer.disconnect();
  await stopDemo();

  // ---- results ----
  const wallS = (t1 - t0) / 1000;
  const cpuS = Object.fromEntries(Object.keys(roots).map((k) => [k, Math.round(((cpu1[k] ?? 0) - (cpu0[k] ?? 0)) * 100) / 100]));
  const edge = cpuS.gateway ?? 0;
  const pipeline = edge + (cpuS.processor ?? 0) + (cpuS.router ?? 0);
  const infra = (cpuS.kafka ?? 0) + (cpuS.postgresql ?? 0) + (cpuS.seaweedfs ?? 0);
  const rows = counted();
  const lat = (pick: (s: Seen) => number | undefined, filter: (s: Seen) => boolean = () => true) =>
    stats(rows.filter(filter).flatMap((s) => {
      const v = pick(s);
      return v === undefined ? [] : [v / 1000];
    }));
  const crossed = (s: Seen) => Date.parse(s.alert.eventTime);
  const byChannel = (filter?: (s: Seen) => boolean) => ({
    console: lat((s) => (s.told.console ?? NaN) - crossed(s), filter),
    queue: lat((s) => (s.told.queue ?? NaN) - crossed(s), filter),
    webhook: lat((s) => (s.told.webhook ?? NaN) - crossed(s), filter),
    frameToAlert: lat((s) => Date.parse(s.alert.createdAt) - crossed(s), filter),
    alertToConsole: lat((s) => (s.told.console ?? NaN) - Date.parse(s.alert.createdAt), filter),
  });
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  } catch {
    // not a checkout
  }
  const result = {
    when: new Date().toISOString(),
    commit,
    command: 'nice -n 10 npx tsx bench/e2e/run.ts',
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadAtEnd, niceness: Number(execFileSync('nice', { encoding: 'utf8' }).trim()) },
    setup: {
      cameras: CAMERAS,
      scenes: ['park-basic', 'dump-basic', 'spill-basic', 'vendor-basic'],
      analyticFps: 1,
      sub: '384x288',
      rules: { parking: 'dwell 20 s (edge confirms after 15 s, updates every 5 s)', others: 'count, threshold 1 start (edge dwell 20 s)' },
      told: 'console SSE (dispatched work order), department Kafka queue (DepartmentNotice), webhook receiver arrival',
    },
    measured: {
      wallSeconds: Math.round(wallS),
      violationsTold: rows.length,
      byKind: Object.fromEntries(['dwell', 'count'].map((k) => [k, rows.filter((s) => s.alert.ruleKind === k).length])),
      byType: Object.fromEntries(['illegal_parking', 'dumping', 'shopfront_spillover', 'street_vendor'].map((k) => [k, rows.filter((s) => s.alert.type === k).length])),
      alertsSeenNotCounted: seen.size - rows.length,
    },
    latencySeconds: {
      all: byChannel(),
      dwell: byChannel((s) => s.alert.ruleKind === 'dwell'),
      count: byChannel((s) => s.alert.ruleKind === 'count'),
    },
    cpu: {
      secondsByProcessTree: cpuS,
      pipelinePerCameraCores: Math.round((pipeline / wallS / CAMERAS) * 1000) / 1000,
      edgePerCameraCores: Math.round((edge / wallS / CAMERAS) * 1000) / 1000,
      infraKafkaPgS3Cores: Math.round((infra / wallS) * 1000) / 1000,
      pipelineSecondsPerViolation: rows.length ? Math.round((pipeline / rows.length) * 100) / 100 : null,
      machineBusyCores: Math.round(((m1.busy - m0.busy) / wallS) * 100) / 100,
    },
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${OUT}`);
  process.stdout.write(`${JSON.stringify({ measured: result.measured, latency: result.latencySeconds.all, cpu: result.cpu }, null, 2)}\n`);
}

main().catch(async (e: Error) => {
  process.stderr.write(`bench/e2e: ${e.message}\n`);
  await stopDemo();
  process.exit(1);
});
