/**
 * Stream processor bench, on the real broker and PostgreSQL of the stack:
 *  1. throughput: N detection events pre-produced to a fresh topic set; a bare kafkajs consumer
 *     (eachBatch, counts only) reads them all (the ceiling), then the whole processor (decode +
 *     validate, rules, alerts produced and acked, PG snapshots, history sink) reads the same
 *     topic with a fresh group — with the sink on, and with it off;
 *  2. latency: a paced stream into the running processor; event produced → alert produced
 *     (the alert's createdAt minus the produce time of the start that completed the window).
 *
 *   set -a; . .stack/env; set +a; npm run -w stream-processor bench:processor
 *   (BENCH_EVENTS=400000, BENCH_ROUNDS=2 bare/processor pairs, BENCH_ENGINE_WORKERS=1; ~3 minutes;
 *    BENCH_QUICK=1: the throughput rounds only, printed, nothing written)
 *
 * Also the processor's CPU per event by thread (consumer, engine workers, V8 helper threads: GC and
 * compilers), and the broker's and PostgreSQL's CPU per event (all java / postgres processes, from /proc: run it
 * on an otherwise quiet machine). Writes bench/results/processor.json. Numbers only, no assertions.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { createLogger, createRegistry, stackSettings, type Registry } from '@streetwatch/platform';
import { testDatabase, testKafka, uniqueId, waitFor, type TestKafka } from '@streetwatch/platform/testing';
import { TOPICS, type Alert } from '@streetwatch/schemas';
import { ProcessorApp, parseProcessorConfig } from '@streetwatch/stream-processor';
import { CAMERAS, events, RULES, T0 } from './events.js';

const { Partitioners } = kafkajs;
const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'results', 'processor.json');
// 400k: at 200k the processor phase lasts under 2 s and its first second (JIT, engine threads
// warming up, validators compiling) weighs on the rate; both consumers read the same N.
const N = Number(process.env.BENCH_EVENTS ?? 400_000);
const ENGINE_WORKERS = Number(process.env.BENCH_ENGINE_WORKERS ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const load0 = Math.round((loadavg()[0] ?? 0) * 100) / 100;

const teardowns: Array<() => unknown> = [];
const host = { teardown: (fn: () => unknown) => void teardowns.push(fn) };

const CONSUMER = { partitionsConsumedConcurrently: 6, maxBytesPerPartition: 2097152, maxBytes: 16777216, maxWaitTime: '100ms', sessionTimeout: '10s' };

async function produceAll(k: TestKafka, count: number): Promise<void> {
  const p = k.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await p.connect();
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  let batch: Array<{ key: string; value: string }> = [];
  // One send at a time: concurrent kafkajs sends can reach the broker out of order, which left
  // ~25-30% of each partition more than maxOutOfOrderness behind its max (late, re-produced).
  for (const e of events(count)) {
    batch.push({ key: e.cameraId, value: JSON.stringify(e) });
    if (batch.length === 5000) {
      await p.send({ topic, messages: batch, acks: 1 });
      batch = [];
    }
  }
  if (batch.length) await p.send({ topic, messages: batch, acks: 1 });
  await p.disconnect();
}

/** CPU seconds used so far by the broker (java) and every PostgreSQL process (from /proc). */
function serverCpu(): { kafka: number; postgres: number } {
  const out = { kafka: 0, postgres: 0 };
  const tick = 100; // USER_HZ
  for (const pid of readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const secs = (Number(f[11]) + Number(f[12])) / tick; // utime, stime
    if (comm === 'java') out.kafka += secs;
    else if (comm === 'postgres') out.postgres += secs;
  }
  return out;
}

/** Broker and PostgreSQL CPU per event since `from` (µs): the part of the 2 cores they took. */
function serverMicrosPerEvent(from: { kafka: number; postgres: number }, count: number): { kafka: number; postgres: number } {
  const now = serverCpu();
  const us = (s: number) => Math.round(((s * 1e6) / count) * 10) / 10;
  return { kafka: us(now.kafka - from.kafka), postgres: us(now.postgres - from.postgres) };
}

/** CPU ticks (1/100 s) per thread of this process, by OS thread id (from /proc/self/task). */
function threadTicks(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // thread gone
    }
  }
  return out;
}

/**
 * This process's CPU per event split by thread: the main (consumer) thread, the threads that
 * appeared after `before` was taken (the engine workers), and the rest (V8's helper threads:
 * parallel/concurrent GC and compilers; libuv's pool).
 */
function threadMicrosPerEvent(before: Map<number, number>, startTids: ReadonlySet<number>, count: number): { main: number; engine: number; helpers: number } {
  const now = threadTicks();
  const us = (ticks: number) => Math.round(((ticks * 10_000) / count) * 10) / 10;
  let main = 0;
  let engine = 0;
  let helpers = 0;
  for (const [tid, t] of now) {
    const d = t - (before.get(tid) ?? 0);
    if (tid === process.pid) main += d;
    else if (startTids.has(tid)) helpers += d;
    else engine += d;
  }
  return { main: us(main), engine: us(engine), helpers: us(helpers) };
}

/** CPU time (user + system, whole process) per event since `from`: robust to a busy machine. */
function cpuMicrosPerEvent(from: NodeJS.CpuUsage, count: number): number {
  const d = process.cpuUsage(from);
  return Math.round(((d.user + d.system) / count) * 10) / 10;
}

async function bare(
  k: TestKafka,
  count: number,
): Promise<{
  seconds: number;
  rate: number;
  cpuMicrosPerEvent: number;
  threads: { main: number; engine: number; helpers: number };
  servers: { kafka: number; postgres: number };
}> {
  const startTids = new Set(threadTicks().keys());
  const c = k.kafka.consumer({
    groupId: uniqueId('bare'),
    maxBytesPerPartition: CONSUMER.maxBytesPerPartition,
    maxBytes: CONSUMER.maxBytes,
    maxWaitTimeInMs: 100,
  });
  await c.connect();
  await c.subscribe({ topics: [`${k.prefix}${TOPICS.detections.name}`], fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  const ticks0 = threadTicks();
  const cpu0 = process.cpuUsage();
  const srv0 = serverCpu();
  await c.run({
    partitionsConsumedConcurrently: CONSUMER.partitionsConsumedConcurrently,
    eachBatch: async ({ batch }) => {
      if (first === 0) first = performance.now();
      seen += batch.messages.length;
      last = performance.now();
    },
  });
  await waitFor('bare consumer read everything', () => seen >= count, { timeoutMs: 300_000, intervalMs: 20 });
  const cpu = cpuMicrosPerEvent(cpu0, count);
  const threads = threadMicrosPerEvent(ticks0, startTids, count);
  const servers = serverMicrosPerEvent(srv0, count);
  await c.disconnect();
  const seconds = (last - first) / 1000;
  return { seconds, rate: count / seconds, cpuMicrosPerEvent: cpu, threads, servers };
}

async function counter(registry: Registry, name: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

async function processor(
  k: TestKafka,
  count: number,
  sink: boolean,
): Promise<{
  seconds: number;
  rate: number;
  alerts: number;
  cpuMicrosPerEvent: number;
  threads: { main: number; engine: number; helpers: number };
  servers: { kafka: number; postgres: number };
  app: ProcessorApp;
  registry: Registry;
}> {
  const db = await testDatabase(host);
  const registry = createRegistry('bench');
  const config = parseProcessorConfig(
    {
      processor: {
        groupId: uniqueId('bench'),
        topicPrefix: k.prefix,
        consumer: CONSUMER,
        time: { maxOutOfOrderness: '2s', grace: '0s', idleTimeout: '5s', punctuateInterval: '500ms' },
        checkpoint: { interval: '1s' },
        engine: { workers: ENGINE_WORKERS },
        sink: { enabled: sink, batchSize: 5000, flushInterval: '250ms', maxBuffered: 50000 },
        ops: { port: 0, host: '127.0.0.1' },
      },
      rules: RULES,
    },
    'bench',
  );
  const log = createLogger({ name: 'bench', level: 'warn' });
  const app = new ProcessorApp(config, { kafka: k.kafka, pool: db.pool, pgTarget: stackSettings().pg, registry, log });
  teardowns.push(() => app.close(10_000));
  const startTids = new Set(threadTicks().keys());
  await app.start();
  const ticks0 = threadTicks();
  const cpu0 = process.cpuUsage();
  const srv0 = serverCpu();
  let first = 0;
  await waitFor(
    'processor consumed everything',
    async () => {
      const n = await counter(registry, 'streetwatch_processor_events_total');
      if (n > 0 && first === 0) first = performance.now();
      return n >= count;
    },
    { timeoutMs: 600_000, intervalMs: 20 },
  );
  const seconds = (performance.now() - first) / 1000;
  const cpu = cpuMicrosPerEvent(cpu0, count);
  const threads = threadMicrosPerEvent(ticks0, startTids, count);
  const servers = serverMicrosPerEvent(srv0, count);
  return { seconds, rate: count / seconds, servers, threads, alerts: await counter(registry, 'streetwatch_processor_alerts_total'), cpuMicrosPerEvent: cpu, app, registry };
}

async function latency(k: TestKafka, ratePerSecond: number, seconds: number): Promise<{ alerts: number; p50: number; p99: number; max: number }> {
  const producedAt = new Map<string, number>();
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  const p = k.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await p.connect();
  const startAt = T0 + 30 * 24 * 3600 * 1000; // far after the throughput stream
  const gen = events(ratePerSecond * seconds, startAt, true);
  const tickMs = 20;
  const perTick = Math.max(1, Math.round((ratePerSecond * tickMs) / 1000));
  const begin = Date.now();
  for (let i = 0; ; i++) {
    const msgs: Array<{ key: string; value: string }> = [];
    for (let j = 0; j < perTick; j++) {
      const r = gen.next();
      if (r.done) break;
      const e = { ...r.value, processedAt: new Date().toISOString() };
      producedAt.set(`${e.violationId}|${e.eventTime}`, Date.now());
      msgs.push({ key: e.cameraId, value: JSON.stringify(e) });
    }
    if (msgs.length === 0) break;
    await p.send({ topic, messages: msgs, acks: 1 });
    const wait = begin + (i + 1) * tickMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await p.disconnect();
  const since = new Date(startAt).toISOString();
  const all = await readUntilQuiet(k);
  const lat: number[] = [];
  for (const a of all) {
    if (a.ruleKind !== 'count' || a.eventTime < since) continue;
    // The start that completed the window is the latest one: last in the (time-ordered) list.
    const t = producedAt.get(`${a.violationIds[a.violationIds.length - 1] ?? ''}|${a.eventTime}`);
    if (t !== undefined) lat.push(Date.parse(a.createdAt) - t);
  }
  lat.sort((x, y) => x - y);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] ?? NaN;
  return { alerts: lat.length, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN };
}

/** Every alert on the topic (a fresh reader that stops once nothing new came for a while). */
async function readUntilQuiet(k: TestKafka): Promise<Alert[]> {
  const c = k.kafka.consumer({ groupId: uniqueId('lat'), maxWaitTimeInMs: 100 });
  await c.connect();
  await c.subscribe({ topics: [`${k.prefix}${TOPICS.alerts.name}`], fromBeginning: true });
  const got: Alert[] = [];
  let lastAt = Date.now();
  await c.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) got.push(JSON.parse(m.value?.toString() ?? '{}') as Alert);
      lastAt = Date.now();
    },
  });
  await waitFor('alerts topic quiet', () => Date.now() - lastAt > 3000, { timeoutMs: 120_000 });
  await c.disconnect();
  return got;
}

async function main(): Promise<void> {
  const k = await testKafka(host, { label: 'bench' });
  const t0 = performance.now();
  await produceAll(k, N);
  const produceSeconds = (performance.now() - t0) / 1000;
  console.log(`produced ${N} events in ${produceSeconds.toFixed(1)} s`);
  const ceiling = await bare(k, N);
  console.log(`bare kafkajs consumer: ${Math.round(ceiling.rate)} events/s, ${ceiling.cpuMicrosPerEvent} µs CPU/event (threads: ${JSON.stringify(ceiling.threads)})`);
  const profile = process.env.BENCH_PROFILE; // a .cpuprofile path: profile the sink-off processor phase
  const session = profile ? new Session() : undefined;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const noSink = await processor(k, N, false);
  if (session && profile) {
    const { profile: prof } = await session.post('Profiler.stop');
    writeFileSync(profile, JSON.stringify(prof));
    session.disconnect();
    console.log(`wrote ${profile}; processor at ${Math.round(noSink.rate)} events/s (${round(noSink.rate / ceiling.rate)} of bare)`);
    const produced = await noSink.registry.getSingleMetric('streetwatch_kafka_produced_total')?.get();
    console.log('produced by the processor:', (produced?.values ?? []).map((v) => `${String(v.labels.topic)}=${v.value}`).join(' '));
    return; // a profiling run writes no results
  }
  console.log(`processor (rules, alerts, snapshots; sink off): ${Math.round(noSink.rate)} events/s, ${noSink.cpuMicrosPerEvent} µs CPU/event (threads: ${JSON.stringify(noSink.threads)}), ${noSink.alerts} alerts`);
  await noSink.app.close(10_000);
  // A second bare/processor pair: on a shared 2-core machine one pair can land in a busy moment.
  const rounds = [{ bare: ceiling.rate, processor: noSink.rate }];
  for (let r = 1; r < ROUNDS; r++) {
    const b = await bare(k, N);
    const p = await processor(k, N, false);
    await p.app.close(10_000);
    rounds.push({ bare: b.rate, processor: p.rate });
    console.log(`round ${r + 1}: bare ${Math.round(b.rate)}, processor ${Math.round(p.rate)} events/s (${round(p.rate / b.rate)}), µs CPU/event ${p.cpuMicrosPerEvent} ${JSON.stringify(p.threads)}`);
  }
  if (process.env.BENCH_QUICK) return; // throughput rounds only, nothing written
  const full = await processor(k, N, true);
  console.log(`processor (everything incl. PostgreSQL history sink): ${Math.round(full.rate)} events/s, ${full.cpuMicrosPerEvent} µs CPU/event`);
  const lat = await latency(k, 2000, 15);
  console.log(`alert latency at 2000 events/s: p50 ${lat.p50} ms, p99 ${lat.p99} ms (${lat.alerts} count alerts)`);
  const result = {
    when: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAvg1mAtStart: load0, loadAvg1mAtEnd: round(loadavg()[0] ?? 0) },
    engine: { workers: ENGINE_WORKERS },
    events: N,
    cameras: CAMERAS,
    rules: RULES.map((r) => `${r.id}:${r.kind}`),
    consumer: CONSUMER,
    produceSeconds: round(produceSeconds),
    bareConsumer: {
      eventsPerSecond: Math.round(ceiling.rate),
      seconds: round(ceiling.seconds),
      cpuMicrosPerEvent: ceiling.cpuMicrosPerEvent,
      cpuMicrosPerEventByThread: ceiling.threads,
      serverCpuMicrosPerEvent: ceiling.servers,
    },
    processorSinkOff: {
      eventsPerSecond: Math.round(noSink.rate),
      seconds: round(noSink.seconds),
      cpuMicrosPerEvent: noSink.cpuMicrosPerEvent,
      cpuMicrosPerEventByThread: noSink.threads,
      serverCpuMicrosPerEvent: noSink.servers,
      alerts: noSink.alerts,
      ratioToBare: round(noSink.rate / ceiling.rate),
    },
    rounds: rounds.map((x) => ({ bare: Math.round(x.bare), processorSinkOff: Math.round(x.processor), ratio: round(x.processor / x.bare) })),
    processorFull: {
      eventsPerSecond: Math.round(full.rate),
      seconds: round(full.seconds),
      cpuMicrosPerEvent: full.cpuMicrosPerEvent,
      serverCpuMicrosPerEvent: full.servers,
      ratioToBare: round(full.rate / ceiling.rate),
    },
    alertLatencyMs: { producedPerSecond: 2000, seconds: 15, countAlerts: lat.alerts, p50: lat.p50, p99: lat.p99, max: lat.max },
    goals: { eventsPerSecond: 100_000, ratioToBare: 0.7 },
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${out}`);
}

const round = (x: number) => Math.round(x * 100) / 100;

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
    process.exit();
  });
