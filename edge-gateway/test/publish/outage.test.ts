import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, createRegistry, parseConfig, provisionTopics, type Registry } from '@streetwatch/platform';
import { startPrivateBroker, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, exampleDetection, topicName, validate, type DetectionEvent } from '@streetwatch/schemas';
import { detectionRecord, Outbox, OutboxConfigSchema } from '../../src/outbox/index.js';
import { Publisher, PublisherConfigSchema } from '../../src/publish/index.js';

async function metric(registry: Registry, name: string): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((s, v) => s + v.value, 0);
}

/** Every message on `topic` from the beginning, until `count` arrived (bounded). */
async function readTopic(kafka: Kafka, topic: string, count: number, timeoutMs: number): Promise<DetectionEvent[]> {
  const consumer = kafka.consumer({ groupId: uniqueId('outage-reader'), allowAutoTopicCreation: false });
  const got: DetectionEvent[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(JSON.parse(message.value?.toString() ?? 'null') as DetectionEvent) });
    await waitFor(`${count} messages on ${topic}`, () => got.length >= count, { timeoutMs });
    return got;
  } finally {
    await consumer.disconnect();
  }
}

t.test('a Kafka outage loses nothing: events appended while the broker is down arrive once each, in order per camera', async (t) => {
  const broker = await startPrivateBroker(t);
  const log = createLogger({ name: 'outage-test', level: 'silent' });
  const kafka = createKafka({ ...broker.security, brokers: broker.brokers, clientId: 'outage-test', connectionTimeout: 1000, retries: 2 }, log);
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const prefix = `${uniqueId('outage')}.`;
  await provisionTopics(admin, [TOPICS.detections, TOPICS.cameraHealth], { prefix });

  const dir = mkdtempSync(join(tmpdir(), 'sw-outage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const registry = createRegistry('outage-test');
  const outbox = new Outbox(parseConfig(OutboxConfigSchema, { path: join(dir, 'outbox.db') }, 'test'), { log, registry });
  outbox.start();
  const publisher = new Publisher(
    parseConfig(PublisherConfigSchema, { topicPrefix: prefix, backoffInitialMs: 100, backoffMaxMs: 1000, batchSize: 100 }, 'test'),
    { kafka, outbox, registry, log },
  );
  t.teardown(async () => {
    await publisher.close();
    outbox.close();
  });
  await publisher.start();

  // The "pipeline": every ~20 ms one event per camera, whatever Kafka is doing.
  const cams = ['out-a', 'out-b', 'out-c'];
  const next = new Map(cams.map((c) => [c, 0]));
  const appended: string[] = [];
  const duringOutage: string[] = [];
  let brokerDown = false;
  const tick = setInterval(() => {
    outbox.append(
      cams.map((c) => {
        const n = next.get(c) ?? 0;
        next.set(c, n + 1);
        const eventId = `${c}-${n}`;
        appended.push(eventId);
        if (brokerDown) duringOutage.push(eventId);
        return detectionRecord(exampleDetection({ eventId, cameraId: c, phase: n === 0 ? 'start' : 'update', dwellSeconds: n }));
      }),
    );
  }, 20);
  t.teardown(() => clearInterval(tick));

  await waitFor('events flowing to Kafka before the outage', async () => (await metric(registry, 'streetwatch_edge_events_produced_total')) >= 60, {
    timeoutMs: 30000,
  });

  await broker.stop();
  brokerDown = true; // from here on nothing can reach Kafka
  await waitFor('the outbox grows while Kafka is down', () => outbox.depth() > 0, { timeoutMs: 10000 });
  // Let the outage last a while (~5 s of appends at 150 events/s), measured in events, not sleeps.
  await waitFor('events appended during the outage', () => duringOutage.length >= 750, { timeoutMs: 30000 });
  t.ok(outbox.depth() >= duringOutage.length, `the outbox holds every event of the outage (depth ${outbox.depth()})`);
  t.equal(publisher.connected, false, 'the publisher knows Kafka is gone');
  t.ok((await metric(registry, 'streetwatch_edge_publish_errors_total')) > 0, 'failed attempts counted');

  await broker.start(); // same port: the publisher's client reconnects by itself
  brokerDown = false;
  await waitFor('the publisher reconnects', () => publisher.connected, { timeoutMs: 60000 });
  const atReconnect = appended.length;
  await waitFor('more events while draining', () => appended.length >= atReconnect + 60, { timeoutMs: 10000 });
  clearInterval(tick);
  await waitFor('the outbox drains', () => outbox.depth() === 0, { timeoutMs: 60000 });

  const topic = topicName(TOPICS.detections, prefix);
  const offsets = await admin.fetchTopicOffsets(topic);
  const onTopic = offsets.reduce((s, p) => s + Number(p.high) - Number(p.low), 0);
  t.equal(onTopic, appended.length, 'the topic holds exactly as many messages as were appended (no trailing duplicate)');
  const got = await readTopic(kafka, topic, appended.length, 30000);
  const ids = got.map((e) => e.eventId);
  t.equal(new Set(ids).size, ids.length, 'no event twice (by eventId)');
  t.equal(ids.length, appended.length, `every appended event arrived (${appended.length}, ${duringOutage.length} during the outage)`);
  const arrived = new Set(ids);
  t.same(
    duringOutage.filter((id) => !arrived.has(id)),
    [],
    'every event appended during the outage arrived',
  );
  for (const c of cams) {
    const seq = got.filter((e) => e.cameraId === c).map((e) => Number(e.eventId.slice(c.length + 1)));
    t.same(seq, Array.from({ length: next.get(c) ?? 0 }, (_, i) => i), `${c}: in order, complete`);
  }
  t.ok(got.every((e) => validate('DetectionEvent', e).ok), 'every message follows the contract');
  t.equal(outbox.rejected().length, 0);
});
