import t from 'tap';
import { TOPICS, exampleDetection } from '@streetwatch/schemas';
import { ContractConsumer } from '../../src/index.js';
import { testKafka, uniqueId, waitFor } from '../../src/testing/index.js';

t.test('partitionsConsumedConcurrently: batches of different partitions are handled at once, offsets committed only after each handler resolved', async (t) => {
  const k = await testKafka(t, { label: 'conc' });
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  await raw.send({
    topic,
    messages: [0, 1, 2].map((partition) => ({ partition, key: `cam-${partition}`, value: JSON.stringify(exampleDetection({ eventId: `e-${partition}` })) })),
  });

  const groupId = uniqueId('g');
  const consumer = new ContractConsumer(
    { groupId, topics: [TOPICS.detections], prefix: k.prefix, partitionsConsumedConcurrently: 3 },
    { kafka: k.kafka, producer: k.producer, registry: k.registry, log: k.log },
  );
  t.teardown(() => consumer.close());
  let inFlight = 0;
  let maxInFlight = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const handled: number[] = [];
  await consumer.start(async (batch, ctx) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await gate;
    handled.push(ctx.partition);
    inFlight--;
  });
  await waitFor('three handler calls running at once', () => maxInFlight === 3, { timeoutMs: 30_000, intervalMs: 20 });
  const committed = async (): Promise<string[]> =>
    (await k.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.filter((p) => p.partition <= 2).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  t.same(await committed(), ['-1', '-1', '-1'], 'nothing committed while the handlers run');
  release();
  await waitFor('handlers done', () => new Set(handled).size === 3, { timeoutMs: 30_000, intervalMs: 20 });
  const ends = (await k.admin.fetchTopicOffsets(topic)).filter((p) => p.partition <= 2).sort((a, b) => a.partition - b.partition).map((p) => p.high);
  await waitFor('offsets committed up to the end after the handlers resolved', async () => JSON.stringify(await committed()) === JSON.stringify(ends), {
    timeoutMs: 30_000,
    intervalMs: 50,
  });
  t.same([...new Set(handled)].sort(), [0, 1, 2], 'every partition handled');
});

t.test('commitIntervalMs: resolved offsets wait for the interval; what was not committed is replayed by the next member', async (t) => {
  const k = await testKafka(t, { label: 'interval' });
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  const produce = (id: string) => raw.send({ topic, messages: [{ partition: 0, key: 'cam-0', value: JSON.stringify(exampleDetection({ eventId: id })) }] });
  const groupId = uniqueId('g');
  const member = (commitIntervalMs: number): ContractConsumer => {
    const c = new ContractConsumer(
      { groupId, topics: [TOPICS.detections], prefix: k.prefix, commitIntervalMs },
      { kafka: k.kafka, producer: k.producer, registry: k.registry, log: k.log },
    );
    t.teardown(() => c.close());
    return c;
  };
  const committed = async (): Promise<string> =>
    (await k.admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.find((p) => p.partition === 0)!.offset;

  const first: string[] = [];
  const a = member(600_000);
  await a.start(async (batch) => void first.push(...batch.map((m) => (m.value as { eventId: string }).eventId)));
  await produce('e-1');
  await waitFor('e-1 handled', () => first.includes('e-1'), { timeoutMs: 30_000, intervalMs: 20 });
  // The commit decision for e-1's batch is made before the next fetch: once e-2 is handled, it was made.
  await produce('e-2');
  await waitFor('e-2 handled', () => first.includes('e-2'), { timeoutMs: 30_000, intervalMs: 20 });
  t.equal(await committed(), '-1', 'nothing committed within the interval');
  await a.close();

  const second: string[] = [];
  const b = member(0);
  await b.start(async (batch) => void second.push(...batch.map((m) => (m.value as { eventId: string }).eventId)));
  await waitFor('the next member replays both', () => second.includes('e-1') && second.includes('e-2'), { timeoutMs: 30_000, intervalMs: 20 });
  await waitFor('with a zero interval, committed after the batch', async () => (await committed()) === '2', { timeoutMs: 30_000, intervalMs: 50 });
  t.same(second, ['e-1', 'e-2']);
});
