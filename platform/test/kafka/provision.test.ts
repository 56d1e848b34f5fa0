import t from 'tap';
import kafkajs from 'kafkajs';
import { TOPICS, allTopicSpecs, departmentTopic } from '@streetwatch/schemas';
import { provisionTopics } from '../../src/index.js';
import { testKafka, uniqueId, waitFor } from '../../src/testing/index.js';

t.test('provisioning creates missing topics with their settings and is a no-op the second time', async (t) => {
  const k = await testKafka(t, { label: 'prov' });
  const prefix = `${uniqueId('p')}.`;
  t.teardown(async () => {
    const mine = (await k.admin.listTopics()).filter((n) => n.startsWith(prefix));
    await k.admin.deleteTopics({ topics: mine }).catch(() => undefined);
  });
  const specs = allTopicSpecs([departmentTopic('chengguan-grid-3')]);
  const first = await provisionTopics(k.admin, specs, { prefix });
  t.equal(first.created.length, specs.length, 'all created');
  t.ok(first.created.includes(`${prefix}streetwatch.alerts.v1.dlq`), 'DLQ created');
  const second = await provisionTopics(k.admin, specs, { prefix });
  t.same(second.created, [], 'nothing created the second time');
  t.equal(second.existing.length, specs.length);
  t.same(second.drift, [], 'no drift');

  const meta = await k.admin.fetchTopicMetadata({ topics: [`${prefix}${TOPICS.detections.name}`] });
  t.equal(meta.topics[0]?.partitions.length, TOPICS.detections.partitions, 'partitions as declared');
  const cfg = await k.admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: `${prefix}${TOPICS.shopScores.name}`, configNames: ['cleanup.policy'] }],
  });
  t.equal(cfg.resources[0]?.configEntries[0]?.configValue, 'compact', 'shop scores are compacted');
});

t.test('a topic that exists with other settings is reported as drift, not changed', async (t) => {
  const k = await testKafka(t, { label: 'drift' });
  const prefix = `${uniqueId('d')}.`;
  const spec = TOPICS.alerts;
  await k.admin.createTopics({ topics: [{ topic: `${prefix}${spec.name}`, numPartitions: 2 }], waitForLeaders: false });
  await waitFor('the hand-made topic has leaders', async () => {
    const m = await k.admin.fetchTopicMetadata({ topics: [`${prefix}${spec.name}`] });
    return m.topics[0]?.partitions.every((p) => p.leader >= 0);
  });
  t.teardown(() => k.admin.deleteTopics({ topics: [`${prefix}${spec.name}`] }).catch(() => undefined));
  const r = await provisionTopics(k.admin, [spec], { prefix });
  t.ok(r.drift.some((d) => d.field === 'partitions' && d.declared === '6' && d.actual === '2'));
  t.ok(r.drift.some((d) => d.field === 'retention.ms'));
});
