/**
 * Bare consumers side by side on one topic (README.md): kafkajs (eachBatch, counts), node-rdkafka
 * (consume(n) in a loop) and @platformatic/kafka (its message stream), the same fetch sizes for
 * each. Reports events/s and CPU µs per event on the JavaScript (main) thread and on the process's
 * other threads (librdkafka's, V8's GC and compiler helpers), from /proc/self/task.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const require = createRequire(import.meta.url);
const { Kafka, Partitioners, logLevel } = require('kafkajs');
const Rdkafka = require('node-rdkafka');
const { Consumer: PlatformaticConsumer } = await import('@platformatic/kafka');

const brokers = (process.env.STREETWATCH_KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const N = Number(process.env.N ?? 400_000);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const topic = `bench-clients-${Date.now()}`;
// The stack's broker takes SASL_SSL with SCRAM-SHA-512 only (README "Kafka security"): the same
// STREETWATCH_KAFKA_* variables the services read (.stack/env), mapped onto each client's options.
// STREETWATCH_KAFKA_SECURITY=plaintext for an open broker.
const secure = (process.env.STREETWATCH_KAFKA_SECURITY ?? 'sasl_ssl').toLowerCase() !== 'plaintext';
const caFile = process.env.STREETWATCH_KAFKA_SSL_CA_FILE || undefined;
const user = process.env.STREETWATCH_KAFKA_SASL_USERNAME;
const password = process.env.STREETWATCH_KAFKA_SASL_PASSWORD_FILE
  ? readFileSync(process.env.STREETWATCH_KAFKA_SASL_PASSWORD_FILE, 'utf8').trim()
  : process.env.STREETWATCH_KAFKA_SASL_PASSWORD;
if (secure && (!user || !password)) {
  console.error('bench/clients: STREETWATCH_KAFKA_SASL_USERNAME and a password (STREETWATCH_KAFKA_SASL_PASSWORD[_FILE]) are needed for the SASL_SSL broker; source .stack/env first');
  process.exit(2);
}
const ca = caFile ? readFileSync(caFile, 'utf8') : undefined;
const kafkajsSecurity = secure ? { ssl: ca ? { ca: [ca] } : true, sasl: { mechanism: 'scram-sha-512', username: user, password } } : {};
const rdkafkaSecurity = secure
  ? { 'security.protocol': 'sasl_ssl', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': user, 'sasl.password': password, ...(caFile ? { 'ssl.ca.location': caFile } : {}) }
  : {};
const platformaticSecurity = secure ? { tls: ca ? { ca } : {}, sasl: { mechanism: 'SCRAM-SHA-512', username: user, password } } : {};
const kafka = new Kafka({ brokers, clientId: 'bench-clients', logLevel: logLevel.NOTHING, ...kafkajsSecurity });
const FETCH = { maxBytes: 16777216, maxBytesPerPartition: 2097152, maxWaitMs: 100 };

/** The bench/processor event shape (schemas' exampleDetection), varied per message. */
const EVENT = {
  schemaVersion: 1, eventId: 'evt-cam-03-0001', violationId: 'vio-cam-03-P1-0001', phase: 'start', type: 'illegal_parking',
  gatewayId: 'gw-xiaohe-01', cameraId: 'cam-03', zoneId: 'P1', gridId: 'grid-3', objectClass: 'car', trackId: '17', score: 0.82,
  bbox: { x: 0.31, y: 0.42, w: 0.2, h: 0.18 }, dwellSeconds: 60, startedAt: '2026-11-26T06:03:10.000Z', eventTime: '2026-11-26T06:04:10.000Z',
  processedAt: '2026-11-26T06:04:10.250Z',
  evidence: { url: 'http://gw-xiaohe-01:8080/evidence/ev-0001.jpg', sha256: 'a'.repeat(64), contentType: 'image/jpeg', bytes: 48213, cameraId: 'cam-03' },
  model: { name: 'centernet', version: 'human-models-3.0.4' },
};

function ticks() {
  const m = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      m.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // thread gone
    }
  }
  return m;
}

/** CPU µs per event since `before`: the main thread, and every other thread of the process. */
function cpuPerEvent(before) {
  let main = 0;
  let other = 0;
  for (const [tid, t] of ticks()) {
    const d = t - (before.get(tid) ?? 0);
    if (tid === process.pid) main += d;
    else other += d;
  }
  const us = (x) => Math.round(((x * 10_000) / N) * 10) / 10;
  return { main: us(main), otherThreads: us(other) };
}

async function until(cond) {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}

async function kafkajsBare() {
  const c = kafka.consumer({ groupId: `kj-${Date.now()}`, maxBytesPerPartition: FETCH.maxBytesPerPartition, maxBytes: FETCH.maxBytes, maxWaitTimeInMs: FETCH.maxWaitMs });
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0, first = 0, last = 0;
  const t0 = ticks();
  await c.run({
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch }) => {
      if (!first) first = performance.now();
      seen += batch.messages.length;
      last = performance.now();
    },
  });
  await until(() => seen >= N);
  const cpu = cpuPerEvent(t0);
  await c.disconnect();
  return { eventsPerSecond: Math.round(N / ((last - first) / 1000)), cpuMicrosPerEvent: cpu };
}

async function rdkafkaBare() {
  const c = new Rdkafka.KafkaConsumer(
    { 'group.id': `rk-${Date.now()}`, 'metadata.broker.list': brokers.join(','), ...rdkafkaSecurity, 'enable.auto.commit': false, 'fetch.max.bytes': FETCH.maxBytes, 'max.partition.fetch.bytes': FETCH.maxBytesPerPartition, 'fetch.wait.max.ms': FETCH.maxWaitMs, 'queued.max.messages.kbytes': 65536 },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise((res, rej) => c.connect({}, (e) => (e ? rej(e) : res())));
  c.subscribe([topic]);
  c.setDefaultConsumeTimeout(100);
  let seen = 0, first = 0, last = 0;
  const t0 = ticks();
  await new Promise((resolve) => {
    const loop = () =>
      c.consume(5000, (err, msgs) => {
        if (err) return setTimeout(loop, 50);
        if (msgs.length) {
          if (!first) first = performance.now();
          seen += msgs.length;
          last = performance.now();
        }
        if (seen >= N) return resolve();
        setImmediate(loop);
      });
    loop();
  });
  const cpu = cpuPerEvent(t0);
  c.disconnect();
  return { eventsPerSecond: Math.round(N / ((last - first) / 1000)), cpuMicrosPerEvent: cpu };
}

async function platformaticBare() {
  const c = new PlatformaticConsumer({ groupId: `pk-${Date.now()}`, clientId: 'bench-clients', bootstrapBrokers: brokers, autocommit: false, ...platformaticSecurity });
  const stream = await c.consume({ topics: [topic], mode: 'earliest', fallbackMode: 'earliest', autocommit: false, maxBytes: FETCH.maxBytes, maxBytesPerPartition: FETCH.maxBytesPerPartition, maxWaitTime: FETCH.maxWaitMs, highWaterMark: 4096 });
  let seen = 0, first = 0, last = 0;
  const t0 = ticks();
  await new Promise((resolve) => {
    stream.on('data', () => {
      if (!first) first = performance.now();
      seen++;
      last = performance.now();
      if (seen === N) resolve();
    });
  });
  const cpu = cpuPerEvent(t0);
  await stream.close();
  await c.close(true);
  return { eventsPerSecond: Math.round(N / ((last - first) / 1000)), cpuMicrosPerEvent: cpu };
}

const load0 = loadavg()[0];
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
for (let i = 0; i < N; i += 5000) {
  const messages = [];
  for (let j = i; j < Math.min(N, i + 5000); j++) {
    const cameraId = `cam-${j % 240}`;
    messages.push({ key: cameraId, value: JSON.stringify({ ...EVENT, eventId: `e-${j}`, violationId: `v-${j >> 2}`, cameraId }) });
  }
  await producer.send({ topic, messages, acks: 1 });
}
await producer.disconnect();
console.log(`produced ${N} events to ${topic}`);

const rounds = [];
try {
  for (let r = 0; r < ROUNDS; r++) {
    const round = { kafkajs: await kafkajsBare(), nodeRdkafka: await rdkafkaBare(), platformaticKafka: await platformaticBare() };
    console.log(JSON.stringify(round));
    rounds.push(round);
  }
} finally {
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}
const result = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, loadAvg1mAtStart: load0, loadAvg1mAtEnd: loadavg()[0] },
  events: N,
  clients: { kafkajs: '2.2.4', nodeRdkafka: `3.6.1 (librdkafka ${Rdkafka.librdkafkaVersion})`, platformaticKafka: '1.35.0' },
  fetch: FETCH,
  rounds,
};
const out = new URL('../results/clients.json', import.meta.url);
mkdirSync(new URL('.', out), { recursive: true });
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${out.pathname}`);
process.exit(0);
