import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';

const { ConfigResourceTypes } = kafkajs;
import { topicName, type TopicSpec } from '@streetwatch/schemas';
import { StreetwatchError } from '../errors.js';

export interface ProvisionResult {
  readonly created: string[];
  readonly existing: string[];
  /** Existing topics whose partitions or configs differ from the declaration (not changed). */
  readonly drift: Array<{ topic: string; field: string; declared: string; actual: string }>;
}

/**
 * Create the declared topics that are missing, with their partitions and configs; safe to run
 * again (existing topics are left as they are and compared, differences reported as drift).
 */
export async function provisionTopics(
  admin: Admin,
  specs: readonly TopicSpec[],
  opts: { prefix?: string; replicationFactor?: number; timeoutMs?: number } = {},
): Promise<ProvisionResult> {
  const prefix = opts.prefix ?? '';
  const existingNames = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existingNames.has(topicName(s, prefix)));
  const created: string[] = [];
  if (missing.length > 0) {
    try {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: topicName(s, prefix),
          numPartitions: s.partitions,
          replicationFactor: opts.replicationFactor ?? 1,
          configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
        })),
      });
    } catch (err) {
      // Another instance may have created some of them meanwhile: that is fine.
      if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') {
        throw new StreetwatchError('SW_KAFKA_UNAVAILABLE', `creating topics failed: ${(err as Error).message}`, {
          cause: err,
          retryable: true,
        });
      }
    }
    created.push(...missing.map((s) => topicName(s, prefix)));
    await waitForLeaders(admin, missing.map((s) => ({ topic: topicName(s, prefix), partitions: s.partitions })), opts.timeoutMs ?? 30000);
  }
  const present = specs.filter((s) => existingNames.has(topicName(s, prefix)));
  const drift = present.length > 0 ? await compare(admin, present, prefix) : [];
  return { created, existing: present.map((s) => topicName(s, prefix)), drift };
}

async function compare(admin: Admin, specs: readonly TopicSpec[], prefix: string): Promise<ProvisionResult['drift']> {
  const drift: ProvisionResult['drift'] = [];
  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => topicName(s, prefix)) });
  const configs = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: ConfigResourceTypes.TOPIC,
      name: topicName(s, prefix),
      configNames: Object.keys(s.config),
    })),
  });
  for (const s of specs) {
    const name = topicName(s, prefix);
    const t = meta.topics.find((m) => m.name === name);
    if (t && t.partitions.length !== s.partitions) {
      drift.push({ topic: name, field: 'partitions', declared: String(s.partitions), actual: String(t.partitions.length) });
    }
    const entries = configs.resources.find((r) => r.resourceName === name)?.configEntries ?? [];
    for (const [k, v] of Object.entries(s.config)) {
      const actual = entries.find((e) => e.configName === k)?.configValue;
      if (actual !== undefined && actual !== v) drift.push({ topic: name, field: k, declared: v, actual });
    }
  }
  return drift;
}

/**
 * Wait (bounded) until every partition of the new topics has a leader. kafkajs' own
 * `waitForLeaders` gives up on the broker's transient UNKNOWN_TOPIC_OR_PARTITION under load.
 */
async function waitForLeaders(
  admin: Admin,
  topics: ReadonlyArray<{ topic: string; partitions: number }>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = topics.every((t) => {
        const m = meta.topics.find((x) => x.name === t.topic);
        return m !== undefined && m.partitions.length === t.partitions && m.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StreetwatchError(
    'SW_KAFKA_UNAVAILABLE',
    `topics ${topics.map((t) => t.topic).join(', ')} have no leader after ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`,
    { retryable: true, cause: last },
  );
}
