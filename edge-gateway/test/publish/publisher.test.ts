import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Kafka } from 'kafkajs';
import { createKafka, createRegistry, parseConfig, type Registry } from '@streetwatch/platform';
import { testKafka, waitFor, type TeardownHost, type TestKafka } from '@streetwatch/platform/testing';
import { TOPICS, exampleCameraHealth, exampleDetection, exampleFlowCount, validate, type DetectionEvent } from '@streetwatch/schemas';
import { cameraHealthRecord, detectionRecord, flowCountRecord, Outbox, OutboxConfigSchema, type OutboxRecord } from '../../src/outbox/index.js';
import { Publisher, PublisherConfigSchema, type PublisherConfig } from '../../src/publish/index.js';

interface Rig {
  outbox: Outbox;
  publisher: Publisher;
  path: string;
  registry: Registry;
}

function rig(tt: TeardownHost, k: TestKafka, over: Partial<PublisherConfig> = {}, kafka: Kafka = k.kafka): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'sw-pub-'));
  const path = join(dir, 'outbox.db');
  const registry = createRegistry('pub-test');
  const outbox = new Outbox(parseConfig(OutboxConfigSchema, { path }, 'test'), { log: k.log, registry });
  outbox.start();
  const publisher = new Publisher(
    parseConfig(PublisherConfigSchema, { topicPrefix: k.prefix, backoffInitialMs: 50, backoffMaxMs: 500, closeTimeoutMs: 3000, ...over }, 'test'),
    { kafka, outbox, registry, log: k.log },
  );
  tt.teardown(async () => {
    await publisher.close();
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { outbox, publisher, path, registry };
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((x) => Object.entries(labels).every(([key, v]) => x.labels[key] === v))?.value ?? 0;
}

const det = (cam: string, n: number): OutboxRecord =>
  detectionRecord(exampleDetection({ eventId: `${cam}-${n}`, cameraId: cam, phase: n === 0 ? 'start' : 'update', dwellSeconds: n }));

const parse = (v: Buffer | null): DetectionEvent => JSON.parse(v?.toString() ?? 'null') as DetectionEvent;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

t.test('the publisher on the real broker', async (t) => {
  const k = await testKafka(t, { label: 'pub' });

  t.test('flow-count minutes go through the same outbox to streetwatch.flow-counts.v1, keyed by camera', async (t) => {
    const r = rig(t, k);
    const flows = [0, 1, 2].map((i) => exampleFlowCount({ eventId: `flow-pub-${i}`, cameraId: 'flow-cam', minute: `2026-11-26T06:0${i}:00.000Z` }));
    r.outbox.append(flows.map((f) => flowCountRecord(f)));
    await r.publisher.start();
    const got = await k.readAll(TOPICS.flowCounts, (m) => m.length >= 3);
    t.same(got.map((m) => (JSON.parse(m.value?.toString() ?? '{}') as { eventId: string }).eventId), ['flow-pub-0', 'flow-pub-1', 'flow-pub-2'], 'in order');
    t.same([...new Set(got.map((m) => m.key?.toString()))], ['flow-cam']);
    t.ok(got.every((m) => validate('FlowCount', JSON.parse(m.value?.toString() ?? '{}')).ok));
    await waitFor('acked', async () => r.outbox.depth() === 0);
  });

  t.test('events from three cameras arrive in order per camera, valid, and leave the outbox once acknowledged', async (t) => {
    const r = rig(t, k, { batchSize: 7 });
    const cams = ['ord-a', 'ord-b', 'ord-c'];
    for (let n = 0; n < 20; n += 5) {
      const batch: OutboxRecord[] = [];
      for (let i = n; i < n + 5; i++) for (const c of cams) batch.push(det(c, i));
      r.outbox.append(batch);
    }
    r.outbox.append([cameraHealthRecord(exampleCameraHealth({ eventId: 'ord-a-health', cameraId: 'ord-a' }))]);
    const createdAt = r.outbox.peek(1)[0]?.createdAt;
    await r.publisher.start();
    await waitFor('outbox drained', () => r.outbox.depth() === 0, { timeoutMs: 20000 });

    const mine = (m: { value: Buffer | null }): boolean => cams.includes(parse(m.value).cameraId);
    const got = (await k.readAll(TOPICS.detections, (m) => m.filter(mine).length >= 60)).filter(mine);
    t.equal(got.length, 60, 'each event once');
    for (const c of cams) {
      const seq = got.filter((m) => m.key?.toString() === c).map((m) => parse(m.value).eventId);
      t.same(seq, Array.from({ length: 20 }, (_, i) => `${c}-${i}`), `${c}: every event, in order, keyed by cameraId`);
    }
    t.ok(got.every((m) => validate('DetectionEvent', parse(m.value)).ok), 'every message follows the contract');
    t.equal(got[0]?.headers?.['sw-event-id']?.toString(), parse(got[0]?.value ?? null).eventId, 'eventId header');
    t.equal(got.find((m) => parse(m.value).eventId === 'ord-a-0')?.timestamp, String(createdAt), 'Kafka timestamp = outbox createdAt');
    const health = await k.readAll(TOPICS.cameraHealth, (m) => m.some((x) => parse(x.value).eventId === 'ord-a-health'));
    t.ok(health.some((m) => m.key?.toString() === 'ord-a'), 'health event on its own topic');

    t.ok((await metric(r.registry, 'streetwatch_edge_events_produced_total', { topic: TOPICS.detections.name })) >= 60);
    t.equal(await metric(r.registry, 'streetwatch_edge_kafka_connected'), 1);
    t.equal(await metric(r.registry, 'streetwatch_edge_outbox_depth'), 0);
    t.equal(r.publisher.connected, true);
  });

  t.test('a record invalid for its contract is set aside with the reason and does not block the ones behind it', async (t) => {
    const r = rig(t, k);
    const bad = JSON.parse(det('rej-a', 1).value) as Record<string, unknown>;
    r.outbox.append([
      det('rej-a', 0),
      { topic: 'detections', key: 'rej-a', eventId: 'rej-a-bad', value: JSON.stringify({ ...bad, eventId: 'rej-a-bad', score: 2 }) },
      { topic: 'detections', key: 'rej-a', eventId: 'rej-a-broken', value: '{"eventId": "rej-a-bro' },
      det('rej-a', 2),
    ]);
    await r.publisher.start();
    await waitFor('outbox drained', () => r.outbox.depth() === 0, { timeoutMs: 20000 });
    const mine = (m: { key: Buffer | null }): boolean => m.key?.toString() === 'rej-a';
    const got = (await k.readAll(TOPICS.detections, (m) => m.filter(mine).length >= 2)).filter(mine);
    t.same(got.map((m) => parse(m.value).eventId), ['rej-a-0', 'rej-a-2'], 'the valid ones, in order');
    const rejected = r.outbox.rejected();
    t.match(
      rejected.map((x) => [x.eventId, x.code, x.reason]),
      [
        ['rej-a-broken', 'SW_CONTRACT_MALFORMED_JSON', /JSON/],
        ['rej-a-bad', 'SW_CONTRACT_INVALID', /\/score/],
      ],
    );
    t.equal(await metric(r.registry, 'streetwatch_edge_outbox_rejected_total', { topic: 'detections', code: 'SW_CONTRACT_INVALID' }), 1);
  });

  t.test('flush drains everything within the grace time, then stops', async (t) => {
    const r = rig(t, k);
    r.outbox.append(Array.from({ length: 50 }, (_, i) => det('flush-a', i)));
    const res = await r.publisher.flush(20000);
    t.same(res, { drained: true, left: 0 });
    const mine = (m: { key: Buffer | null }): boolean => m.key?.toString() === 'flush-a';
    const got = (await k.readAll(TOPICS.detections, (m) => m.filter(mine).length >= 50)).filter(mine);
    t.equal(got.length, 50);
    r.outbox.append([det('flush-a', 50)]);
    await r.publisher.start();
    await r.publisher.close();
    t.equal(r.outbox.depth(), 1, 'a stopped publisher does not start again');
  });

  t.test('a flush with Kafka down returns after the grace time; what is left stays on disk', async (t) => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const down = createKafka({ brokers: [nobody], clientId: 'pub-down', connectionTimeout: 500, retries: 1 }, k.log);
    const r = rig(t, k, {}, down);
    await r.publisher.start();
    r.outbox.append(Array.from({ length: 10 }, (_, i) => det('down-a', i)));
    await waitFor('a failed connect', async () => (await metric(r.registry, 'streetwatch_edge_publish_errors_total')) > 0, {
      timeoutMs: 15000,
    });
    t.equal(r.publisher.connected, false);
    t.equal(await metric(r.registry, 'streetwatch_edge_kafka_connected'), 0);
    const res = await r.publisher.flush(1000);
    t.same(res, { drained: false, left: 10 });
    r.outbox.close();
    const reopened = new Outbox(parseConfig(OutboxConfigSchema, { path: r.path }, 'test'), { log: k.log, registry: k.registry });
    reopened.start();
    t.teardown(() => reopened.close());
    t.same(reopened.peek(100).map((x) => x.eventId), Array.from({ length: 10 }, (_, i) => `down-a-${i}`), 'all ten kept, in order');
  });
});
