/**
 * Alert-router bench: alerts on streetwatch.alerts.v1 → consumer → PG (dedup + routing) → group
 * flush (groupWait 0) → durable intents → delivered to two local sinks: a fake webhook (signed
 * HTTP) and the department queue on Kafka (kafka-dept). Real broker, real PostgreSQL, 2 cores.
 *
 *   npm run -w alert-router bench        (needs the stack: npm run stack:up; builds, then ~1-2 minutes;
 *                                         imports the built package, @streetwatch/alert-router)
 *
 * A warm-up (BENCH_ROUTER_WARMUP, 2000 alerts) goes first: a router runs for days, so the numbers are
 * a JIT-warm process's (after 200 alerts the burst measured ~20% lower, mostly V8 compiling). Alert
 * ids are hashes like the processor's (ids.ts). The work-order half is not in the default setup;
 * BENCH_ROUTER_WORK_ORDERS=1 adds it (each alert's work order: dispatch, its event, the console feed)
 * and writes bench/results/router-work-orders.json instead.
 *
 * Measures (1) a burst: N alerts produced at once → alerts/s recorded and alerts/s fully
 * delivered on both channels; (2) paced load at fixed rates → alert-on-topic → delivered latency
 * p50/p99 per channel (createdAt is stamped just before the produce). Writes
 * bench/results/router.json. No assertions: numbers only.
 *
 * Each phase also reports what an alert costs, since wall-clock rates swing with the machine's
 * other load: CPU µs per alert of the router's process, of the bench driver (a child process: the
 * load generator and the fake webhook receiver, see driver.ts), of the router's PostgreSQL backends
 * and of the (shared) Kafka broker; the router pool's statements (round trips) and the router
 * producers' produce requests per alert.
 *
 * Diagnostics (off by default): BENCH_ROUTER_PROFILE=<file.cpuprofile> writes a CPU profile of
 * the router's process during the burst; BENCH_ROUTER_PG_BREAKDOWN=1 prints, after the burst, the
 * PostgreSQL backend CPU per alert by statement (schedstat of the backend around each statement).
 */
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { ContractProducer, createLogger, createPool, createRegistry, parseConfig } from '@streetwatch/platform';
import { testDatabase, testKafka, waitFor } from '@streetwatch/platform/testing';
import { departmentTopic } from '@streetwatch/schemas';
import { DeliveryPipeline, RouterConfig, WorkOrdersConfig, createWorkOrderService, migrateRouter, secretResolver, type WorkOrders } from '@streetwatch/alert-router';
import type { DriverRequest } from './driver.js';
import { benchAlertId } from './ids.js';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'results', process.env.BENCH_ROUTER_WORK_ORDERS === '1' ? 'router-work-orders.json' : 'router.json');
const BURST = Number(process.env.BENCH_ROUTER_BURST ?? 4000);
const WARMUP = Number(process.env.BENCH_ROUTER_WARMUP ?? 2000);
const RATES = (process.env.BENCH_ROUTER_RATES ?? '250,500,1000,1500,2000').split(',').map(Number);
const PACED_SECONDS = Number(process.env.BENCH_ROUTER_SECONDS ?? 6);
const CONCURRENCY = Number(process.env.BENCH_ROUTER_CONCURRENCY ?? 64);
/** BENCH_ROUTER_WORK_ORDERS=1: each alert also gets its work order (dispatch, its event, the console feed), as in the service. */
const WORK_ORDERS = process.env.BENCH_ROUTER_WORK_ORDERS === '1';

const teardowns: Array<() => unknown> = [];
const host = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
}

/** utime + stime of a process, in clock ticks (1/100 s); 0 when it is gone. */
function cpuTicks(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

const brokerPid =
  readdirSync('/proc')
    .filter((d) => /^[0-9]+$/.test(d))
    .map(Number)
    .find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
      } catch {
        return false;
      }
    }) ?? 0;

const breakdown = process.env.BENCH_ROUTER_PG_BREAKDOWN ? new Map<string, { n: number; ns: number }>() : undefined;
const lastNs = new Map<number, number>();
function schedNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}
/** Charge a statement with its backend's CPU time since that backend's previous statement ended. */
function trackStatement(client: object, args: unknown[]): (() => void) | undefined {
  const pid = (client as { processID?: number }).processID ?? 0;
  const sql = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string } | undefined)?.text ?? '?');
  const key = sql.replace(/\s+/g, ' ').slice(0, 70);
  const done = (): void => {
    const ns = schedNs(pid);
    const e = breakdown?.get(key) ?? { n: 0, ns: 0 };
    e.n++;
    e.ns += ns - (lastNs.get(pid) ?? ns);
    lastNs.set(pid, ns);
    breakdown?.set(key, e);
  };
  const cb = args.at(-1);
  // pg.Pool#query passes a callback; client.query(...) without one returns a promise.
  if (typeof cb === 'function') {
    args[args.length - 1] = (...x: unknown[]) => {
      done();
      return (cb as (...y: unknown[]) => unknown)(...x);
    };
    return;
  }
  return done;
}

async function main(): Promise<void> {
  const k = await testKafka(host, { label: 'benchrouter', extra: [departmentTopic('bench-dept')] });
  const db = await testDatabase(host);
  // Statements sent by the router's pool (the bench polls through its own pool, below).
  const routerClients = new WeakSet<object>();
  let statements = 0;
  db.pool.on('connect', (c) => void routerClients.add(c));
  const query = pg.Client.prototype.query;
  (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (this: object, ...a: unknown[]) {
    if (!routerClients.has(this)) return (query as (...x: unknown[]) => unknown).apply(this, a);
    statements++;
    const done = breakdown ? trackStatement(this, a) : undefined;
    const r = (query as (...x: unknown[]) => unknown).apply(this, a);
    if (done && r instanceof Promise) void r.finally(done).catch(() => undefined);
    return r;
  };
  const poll = createPool({ ...db.settings, applicationName: 'bench-poll', max: 2 });
  host.teardown(() => poll.end());
  await migrateRouter(db.pool);
  // The outside world (load generator + webhook receiver) in a child process.
  const child = fork(join(here, 'driver.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_DRIVER_BROKERS: k.brokers.join(','), BENCH_DRIVER_PREFIX: k.prefix, BENCH_DRIVER_SECRET: 'bench-secret' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  let nextId = 0;
  const hookUrl = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench driver exited (${code})`)));
    child.on('message', (m: Record<string, unknown>) => {
      if (m.ready) return resolve(String(m.url));
      waiting.get(Number(m.id))?.(m);
      waiting.delete(Number(m.id));
    });
  });
  type Req = DriverRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
  const driver = (req: Req): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, (m) => (m.error ? reject(new Error(String(m.error))) : resolve(m)));
      child.send({ ...req, id });
    });
  host.teardown(async () => {
    await driver({ cmd: 'close' }).catch(() => undefined);
    if (child.exitCode === null) child.kill();
  });
  const driverCpuUs = async (): Promise<number> => Number((await driver({ cmd: 'cpu' })).us);
  const cfg = parseConfig(RouterConfig, {
    consumer: { groupId: `bench-${k.prefix}` },
    departments: { 'bench-dept': { name: 'bench', channels: ['hook', 'queue'] } },
    channels: {
      hook: { type: 'webhook', url: `${hookUrl}/hook`, signSecretEnv: 'HOOK', concurrency: CONCURRENCY },
      queue: { type: 'kafka-dept', concurrency: CONCURRENCY },
    },
    routing: { route: { departments: ['bench-dept'] } },
    delivery: { poll: '100ms' },
  }) as RouterConfig;
  const registry = createRegistry('bench');
  // The router gets its own producers, as main.ts builds them (department queues; Delivery events);
  const routerProducer = new ContractProducer({ prefix: k.prefix }, { kafka: k.kafka, registry });
  await routerProducer.start();
  host.teardown(() => routerProducer.close());
  const eventsProducer = new ContractProducer({ prefix: k.prefix }, { kafka: k.kafka, registry });
  await eventsProducer.start();
  host.teardown(() => eventsProducer.close());
  const log = createLogger({ name: 'bench', level: 'warn' });
  // The halves are joined late, as main.ts does (dispatch ↔ notify).
  let workOrders: WorkOrders | undefined;
  const pipeline = new DeliveryPipeline(cfg, {
    pool: db.pool,
    log,
    registry,
    resolveSecret: secretResolver({ HOOK: 'bench-secret' }),
    kafka: k.kafka,
    producer: routerProducer,
    eventsProducer,
    prefix: k.prefix,
    ...(WORK_ORDERS
      ? {
          workOrders: {
            dispatch: (alert, departmentId, opts) => (workOrders as WorkOrders).dispatch(alert, departmentId, opts),
            dispatchMany: (items) => (workOrders as WorkOrders).dispatchMany(items),
            attachClearance: (violationId, clearedAt) => (workOrders as WorkOrders).attachClearance(violationId, clearedAt),
          },
          consoleFeed: { publish: (d, e) => workOrders?.feed.publish(d, e) },
        }
      : {}),
  });
  host.teardown(() => pipeline.close());
  if (WORK_ORDERS) {
    const photos = mkdtempSync(join(tmpdir(), 'bench-router-photos-'));
    host.teardown(() => rmSync(photos, { recursive: true, force: true }));
    const woProducer = new ContractProducer({ prefix: k.prefix }, { kafka: k.kafka, registry });
    host.teardown(() => woProducer.close());
    workOrders = createWorkOrderService(parseConfig(WorkOrdersConfig, { uploads: { dir: photos } }, 'bench#workOrders'), {
      pool: db.pool,
      producer: woProducer,
      notifier: pipeline.notifier,
      registry,
      log,
    });
    await workOrders.start();
    host.teardown(() => workOrders?.close());
  }
  await pipeline.start({ consume: true });

  const count = async (sql: string, args: unknown[] = []): Promise<number> =>
    Number((await poll.query<{ n: string }>(sql, args)).rows[0]?.n ?? 0);
  // Waiting for a phase to end: first on the router's own counters (in this process, free), then one
  // PostgreSQL count confirms. Polling PostgreSQL alone every 20 ms scanned the growing tables ~50
  // times a second, CPU taken from the router and PostgreSQL being measured.
  const counted = async (c: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, label: string, value: string): Promise<number> =>
    (await c.get()).values.filter((v) => v.labels[label] === value).reduce((sum, v) => sum + v.value, 0);
  let produceRequests = 0;
  for (const p of [routerProducer, eventsProducer]) {
    p.raw.on(p.raw.events.REQUEST, (e) => {
      if (e.payload.apiName === 'Produce') produceRequests++;
    });
  }
  const routerBackends = async (): Promise<number[]> =>
    (await poll.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'streetwatch'")).rows.map((r) => r.pid);
  /** Start measuring a phase; the returned function gives its costs per alert. */
  const costs = async () => {
    const cpu0 = process.cpuUsage();
    const driver0 = await driverCpuUs();
    const pg0 = new Map((await routerBackends()).map((pid) => [pid, cpuTicks(pid)]));
    const broker0 = cpuTicks(brokerPid);
    const st0 = statements;
    const pr0 = produceRequests;
    return async (alerts: number) => {
      const cpu = process.cpuUsage(cpu0);
      const driverUs = (await driverCpuUs()) - driver0;
      let pgTicks = 0;
      for (const pid of await routerBackends()) pgTicks += cpuTicks(pid) - (pg0.get(pid) ?? 0);
      const per = (x: number): number => Math.round((x / alerts) * 100) / 100;
      return {
        cpuUsPerAlert: {
          router: Math.round((cpu.user + cpu.system) / alerts),
          benchDriver: Math.round(driverUs / alerts),
          postgresBackends: Math.round((pgTicks * 10_000) / alerts),
          kafkaBrokerShared: Math.round(((cpuTicks(brokerPid) - broker0) * 10_000) / alerts),
        },
        pgStatementsPerAlert: per(statements - st0),
        produceRequestsPerAlert: per(produceRequests - pr0),
      };
    };
  };

  // Warm-up: joins the group, opens connections, JIT.
  await driver({ cmd: 'burst', ids: Array.from({ length: WARMUP }, (_, i) => benchAlertId('warm', i)) });
  await waitFor('warm-up delivered', async () => (await count("SELECT count(*)::text AS n FROM router_deliveries WHERE state = 'sent'")) >= 2 * WARMUP, { timeoutMs: 120_000 });

  const loadAtStart = Math.round(loadavg()[0]! * 10) / 10;
  // (1) Burst.
  const burst = Array.from({ length: BURST }, (_, i) => benchAlertId('burst', i));
  const burstCosts = await costs();
  // BENCH_ROUTER_PROFILE=<file.cpuprofile>: a CPU profile of this process during the burst.
  const profileFile = process.env.BENCH_ROUTER_PROFILE;
  const inspector = profileFile ? new Session() : undefined;
  if (inspector) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  const b0 = Date.now();
  const [new0, sent0] = [await counted(pipeline.metrics.alerts, 'result', 'new'), await counted(pipeline.metrics.deliveries, 'outcome', 'sent')];
  await driver({ cmd: 'burst', ids: burst });
  const produced = Date.now() - b0;
  await waitFor('burst recorded (router counter)', async () => (await counted(pipeline.metrics.alerts, 'result', 'new')) - new0 >= BURST, { timeoutMs: 300_000, intervalMs: 5 });
  await waitFor('burst recorded', async () => (await count("SELECT count(*)::text AS n FROM router_alerts WHERE alert_id LIKE 'burst-%'")) >= BURST, { timeoutMs: 300_000, intervalMs: 5 });
  const recordedMs = Date.now() - b0;
  await waitFor('burst sent (router counter)', async () => (await counted(pipeline.metrics.deliveries, 'outcome', 'sent')) - sent0 >= 2 * BURST, { timeoutMs: 300_000, intervalMs: 5 });
  await waitFor(
    'burst delivered',
    async () => (await count("SELECT count(*)::text AS n FROM router_deliveries WHERE state = 'sent' AND alert_id LIKE 'burst-%'")) >= 2 * BURST,
    { timeoutMs: 300_000, intervalMs: 5 },
  );
  const deliveredMs = Date.now() - b0;
  const burstCost = await burstCosts(BURST);
  if (breakdown) {
    for (const [k, v] of [...breakdown.entries()].sort((x, y) => y[1].ns - x[1].ns)) process.stdout.write(`${(v.ns / 1000 / BURST).toFixed(0).padStart(5)} us/alert ${String(v.n).padStart(6)} x ${k}\n`);
    breakdown.clear();
  }
  if (inspector && profileFile) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    inspector.disconnect();
  }

  // (2) Paced load.
  const paced: Array<Record<string, unknown>> = [];
  for (const rate of RATES) {
    const n = rate * PACED_SECONDS;
    const phaseCosts = await costs();
    const p0 = Date.now();
    const sent0 = await counted(pipeline.metrics.deliveries, 'outcome', 'sent');
    const { ids } = (await driver({ cmd: 'paced', label: `r${rate}`, rate, n })) as unknown as { ids: string[] };
    await waitFor(`paced ${rate}/s sent (router counter)`, async () => (await counted(pipeline.metrics.deliveries, 'outcome', 'sent')) - sent0 >= 2 * n, {
      timeoutMs: 300_000,
      intervalMs: 10,
    });
    await waitFor(
      `paced ${rate}/s delivered`,
      async () => (await count("SELECT count(*)::text AS n FROM router_deliveries WHERE state = 'sent' AND alert_id LIKE $1", [`r${rate}-%`])) >= 2 * n,
      { timeoutMs: 300_000, intervalMs: 50 },
    );
    const phaseCost = await phaseCosts(n);
    const rows = await poll.query<{ alert_id: string; channel_name: string; created: string; sent_at: Date; received_at: Date; intent_at: Date }>(
      `SELECT d.alert_id, d.channel_name, a.alert->>'createdAt' AS created, d.updated_at AS sent_at, a.received_at, d.created_at AS intent_at
       FROM router_deliveries d JOIN router_alerts a ON a.alert_id = d.alert_id WHERE d.alert_id LIKE $1`,
      [`r${rate}-%`],
    );
    const createdOf = new Map(rows.rows.map((r) => [r.alert_id, r.created]));
    const at = ((await driver({ cmd: 'received', ids })) as unknown as { at: Array<number | null> }).at;
    const hookLat = ids.map((id, i) => (at[i] ?? NaN) - Date.parse(createdOf.get(id) ?? ''));
    const queueLat = rows.rows.filter((r) => r.channel_name === 'queue').map((r) => r.sent_at.getTime() - Date.parse(r.created));
    const q = rows.rows.filter((r) => r.channel_name === 'queue');
    const stage = (f: (r: (typeof q)[number]) => number) => ({ p50: pct(q.map(f), 50), p99: pct(q.map(f), 99) });
    paced.push({
      rate,
      alerts: n,
      achievedRate: Math.round((n / (Date.now() - p0)) * 1000),
      webhookMs: { p50: pct(hookLat.filter(Number.isFinite), 50), p99: pct(hookLat.filter(Number.isFinite), 99) },
      kafkaDeptRecordedMs: { p50: pct(queueLat, 50), p99: pct(queueLat, 99) },
      stagesMs: {
        createdToRecorded: stage((r) => r.received_at.getTime() - Date.parse(r.created)),
        recordedToIntent: stage((r) => r.intent_at.getTime() - r.received_at.getTime()),
        intentToOutcomeRecorded: stage((r) => r.sent_at.getTime() - r.intent_at.getTime()),
      },
      ...phaseCost,
    });
    process.stdout.write(`paced ${rate}/s: ${JSON.stringify(paced.at(-1))}\n`);
  }

  const result = {
    when: new Date().toISOString(),
    machine: { cores: cpus().length, loadAvg1mAtEnd: Math.round(loadavg()[0]! * 10) / 10, cpu: cpus()[0]?.model.split(' ').slice(0, 2).join(' '), node: process.version },
    loadAvg1mAtStart: loadAtStart,
    setup:
      `router in the bench process; load generator + fake webhook receiver in a child process (benchDriver); real Kafka 4.1 + PostgreSQL 15 on the same 2-core machine; sinks: fake webhook (HMAC-signed HTTP) + kafka-dept, concurrency ${CONCURRENCY} each; groupWait 0; alert ids hashed like the processor's; ${WARMUP} alerts of warm-up first; ${WORK_ORDERS ? 'a work order per alert' : 'no work orders'}`,
    burst: {
      alerts: BURST,
      produceMs: produced,
      recordedPerSecond: Math.round((BURST / recordedMs) * 1000),
      deliveredPerSecond: Math.round((BURST / deliveredMs) * 1000),
      deliveriesPerSecond: Math.round(((2 * BURST) / deliveredMs) * 1000),
      ...burstCost,
      note: 'alerts/s from the first produce until every alert is recorded / delivered on both channels',
    },
    paced,
    goal: { alertsPerSecond: 2000, p99Ms: 100 },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(JSON.stringify(result.burst) + '\n');
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
  });
