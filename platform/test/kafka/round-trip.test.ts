import t from 'tap';
import { CONTRACT_NAMES, EXAMPLES, TOPICS, validate, type TopicSpec } from '@streetwatch/schemas';
import { testKafka } from '../../src/testing/index.js';

t.test('every contract round-trips through the real broker and validates on the way out', async (t) => {
  const k = await testKafka(t, { label: 'rt' });
  const topics = Object.values(TOPICS) as TopicSpec[];
  for (const name of CONTRACT_NAMES) {
    const spec = topics.find((s) => s.contract === name);
    if (!spec) continue; // DeadLetter and DepartmentNotice travel on derived topics, tested elsewhere
    const example = EXAMPLES[name]();
    await k.producer.send(spec, [example as never]);
    const got = await k.readAll(spec, (m) => m.length >= 1);
    const first = got[0];
    t.ok(first, `${spec.name} delivered a message`);
    if (!first?.value) continue;
    const parsed: unknown = JSON.parse(first.value.toString('utf8'));
    t.same(parsed, example, `${name} arrives unchanged`);
    t.ok(validate(name, parsed).ok, `${name} validates at the consumer`);
    const key = (example as Record<string, unknown>)[spec.key];
    t.equal(first.key?.toString(), key, `${spec.name} is keyed by ${spec.key}`);
    t.equal(first.headers?.['sw-contract']?.toString(), name);
  }
});

t.test('the producer refuses an invalid message and sends nothing', async (t) => {
  const k = await testKafka(t, { label: 'refuse' });
  const bad = { ...EXAMPLES.DetectionEvent(), score: 3 };
  await t.rejects(k.producer.send(TOPICS.detections, [EXAMPLES.DetectionEvent(), bad]), {
    code: 'SW_CONTRACT_INVALID',
    errors: [{ path: '/score' }],
  });
  const refused = await k.registry.getSingleMetricAsString('streetwatch_kafka_refused_total');
  t.match(refused, /topic="streetwatch.detections.v1"} 1/);
  // The valid message of the refused batch was not sent either: the topic's end offset is 0.
  const offsets = await k.admin.fetchTopicOffsets(`${k.prefix}${TOPICS.detections.name}`);
  t.same(offsets.map((o) => o.high), offsets.map(() => '0'));
});
