import t from 'tap';
import { EXAMPLES, TOPICS, exampleAlert, validate, type ContractName, type TopicSpec } from '@streetwatch/schemas';
import { testKafka, waitFor } from '../../src/testing/index.js';

t.test('every contract round-trips through the real broker and validates on the way out', async (t) => {
  const k = await testKafka(t, { label: 'rt' });
  const specs = Object.values(TOPICS) as TopicSpec[];
  const sent = new Map<string, unknown>();
  for (const spec of specs) {
    const example = EXAMPLES[spec.contract as ContractName]();
    await k.producer.send(spec, [example as never]);
    sent.set(k.prefix + spec.name, example);
  }
  const got = await k.readAll(specs, (m) => m.length >= specs.length);
  t.equal(got.length, specs.length, 'one message per topic, none extra');
  for (const spec of specs) {
    const m = got.find((g) => g.topic === k.prefix + spec.name);
    t.ok(m?.value, `${spec.name} delivered its message`);
    if (!m?.value) continue;
    const parsed: unknown = JSON.parse(m.value.toString('utf8'));
    t.same(parsed, sent.get(m.topic), `${spec.contract} arrives unchanged on ${spec.name}`);
    t.ok(validate(spec.contract, parsed).ok, `${spec.contract} validates at the consumer`);
    t.equal(m.key?.toString(), (parsed as Record<string, unknown>)[spec.key], `${spec.name} is keyed by ${spec.key}`);
    t.equal(m.headers?.['sw-contract']?.toString(), spec.contract);
  }
});

t.test('the producer refuses an invalid message and sends nothing', async (t) => {
  const k = await testKafka(t, { label: 'refuse' });
  const bad = { ...EXAMPLES.DetectionEvent(), score: 3 };
  await t.rejects(k.producer.send(TOPICS.detections, [EXAMPLES.DetectionEvent(), bad]), {
    code: 'SW_CONTRACT_INVALID',
    errors: [{ path: '/score' }],
  });
  const refused = await k.registry.getSingleMetric('streetwatch_kafka_refused_total')?.get();
  t.equal(refused?.values.find((v) => v.labels.topic === TOPICS.detections.name)?.value, 1, 'refusal counted');
  // The valid message of the refused batch was not sent either: every partition's end offset is 0.
  // Leadership of a just-created topic may still be moving: retry the (retriable) lookup.
  const offsets = await waitFor('end offsets', () => k.admin.fetchTopicOffsets(`${k.prefix}${TOPICS.detections.name}`));
  t.same(offsets.map((o) => o.high), offsets.map(() => '0'));
});

t.test('a send larger than one produce request is split and arrives whole, in order', async (t) => {
  const k = await testKafka(t, { label: 'chunk' });
  // 40 alerts of ~40 KB each: ~1.6 MB, over the broker's 1 MiB request limit in one piece.
  const alerts = Array.from({ length: 40 }, (_, i) =>
    exampleAlert({
      alertId: 'alert-big',
      title: `big ${i}`,
      violationIds: Array.from({ length: 450 }, (_, j) => `vio-${i}-${j}-${'p'.repeat(60)}`),
    }),
  );
  await k.producer.send(TOPICS.alerts, alerts);
  const got = await k.readAll(TOPICS.alerts, (m) => m.length >= 40);
  t.same(got.map((m) => (JSON.parse(String(m.value)) as { title: string }).title), alerts.map((a) => a.title), 'all 40, in order (one key, one partition)');
});
