import t from 'tap';
import { TOPICS, dlqTopic, exampleDetection, validate, type DetectionEvent } from '@streetwatch/schemas';
import { ContractConsumer } from '../../src/index.js';
import { testKafka, uniqueId, waitFor } from '../../src/testing/index.js';

t.test('a consumer routes malformed and invalid messages to the DLQ with the reason and keeps going', async (t) => {
  const k = await testKafka(t, { label: 'dlq' });
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  const good1 = exampleDetection({ eventId: 'good-1' });
  const good2 = exampleDetection({ eventId: 'good-2' });
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  await raw.send({
    topic,
    messages: [
      { key: 'cam-03', value: JSON.stringify(good1) },
      { key: 'cam-03', value: '{"eventId": "broken' },
      { key: 'cam-03', value: JSON.stringify({ ...good1, eventId: 'bad-score', score: -1 }) },
      { key: 'cam-03', value: JSON.stringify(good2) },
    ],
  });

  const seen: DetectionEvent[] = [];
  const consumer = new ContractConsumer(
    { groupId: uniqueId('g'), topics: [TOPICS.detections], prefix: k.prefix },
    { kafka: k.kafka, producer: k.producer, registry: k.registry, log: k.log },
  );
  t.teardown(() => consumer.close());
  await consumer.start(async (batch) => {
    for (const m of batch) seen.push(m.value as DetectionEvent);
  });
  await waitFor('both valid messages handled', () => seen.length >= 2);
  t.same(seen.map((e) => e.eventId), ['good-1', 'good-2'], 'valid messages pass in order around the bad ones');

  const dead = await k.readAll(dlqTopic(TOPICS.detections), (m) => m.length >= 2);
  const letters = dead.map((m) => JSON.parse(m.value?.toString() ?? '{}') as Record<string, unknown>);
  for (const l of letters) t.ok(validate('DeadLetter', l).ok, 'dead letter follows its contract');
  t.match(letters[0], { code: 'SW_CONTRACT_MALFORMED_JSON', offset: '1', originalTopic: TOPICS.detections.name });
  t.match(letters[1], { code: 'SW_CONTRACT_INVALID', offset: '2', errors: [{ path: '/score' }] });
  t.match(String(letters[1]?.reason), /\/score: must be >= 0/);
  t.equal(Buffer.from(String(letters[0]?.payloadBase64), 'base64').toString(), '{"eventId": "broken', 'original bytes kept');
  const metric = await k.registry.getSingleMetric('streetwatch_dlq_messages_total')?.get();
  const count = (code: string): number =>
    metric?.values.find((v) => v.labels.code === code && v.labels.topic === TOPICS.detections.name)?.value ?? 0;
  t.equal(count('SW_CONTRACT_MALFORMED_JSON'), 1, 'malformed counted');
  t.equal(count('SW_CONTRACT_INVALID'), 1, 'invalid counted');
});
