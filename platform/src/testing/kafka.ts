import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { allTopicSpecs, topicName, type TopicSpec } from '@streetwatch/schemas';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackSettings } from '../env.js';
import { createKafka } from '../kafka/client.js';
import { kafkaFailure, withSaslUser, type KafkaSecurity } from '../kafka/security.js';
import { ContractProducer } from '../kafka/producer.js';
import { provisionTopics } from '../kafka/provision.js';
import { createLogger, type Logger } from '../log.js';
import { createRegistry, type Registry } from '../metrics.js';
import { uniqueId, waitFor, type TeardownHost } from './wait.js';

export type ReadMessage = KafkaMessage & { topic: string; partition: number };

export interface TestKafka {
  readonly kafka: Kafka;
  readonly admin: Admin;
  /** Unique topic prefix for this test: every catalogue topic exists under it. */
  readonly prefix: string;
  readonly brokers: string[];
  readonly registry: Registry;
  readonly log: Logger;
  readonly producer: ContractProducer;
  /** Read everything on a topic (from the beginning) until `until(messages)` holds or the timeout. */
  readAll(
    spec: TopicSpec | string | ReadonlyArray<TopicSpec | string>,
    until: (m: ReadMessage[]) => boolean,
    timeoutMs?: number,
  ): Promise<ReadMessage[]>;
}

/**
 * The real broker from the stack, with every catalogue topic (and `extra` topics) provisioned under
 * a unique prefix, so tests running at the same time never see each other's messages.
 */
export async function testKafka(t: TeardownHost, opts: { extra?: TopicSpec[]; label?: string } = {}): Promise<TestKafka> {
  const settings = stackSettings();
  const log = createLogger({ name: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // The stack's admin user (a super user: tests provision topics under their own prefix).
  const kafka = createKafka({ ...settings.kafka, clientId: 'streetwatch-test' }, log);
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    // A wrong password or CA in .stack/env: one line saying which, not a kafkajs stack.
    throw kafkaFailure(err, settings.kafka.brokers, settings.kafka);
  }
  t.teardown(() => admin.disconnect());
  const prefix = `${uniqueId(opts.label ?? 't')}.`;
  await provisionTopics(admin, allTopicSpecs(opts.extra ?? []), { prefix });
  const registry = createRegistry('test');
  const producer = new ContractProducer({ prefix }, { kafka, registry });
  await producer.start();
  t.teardown(() => producer.close());
  t.teardown(async () => {
    // Delete this test's topics so the broker does not accumulate thousands of partitions.
    const mine = (await admin.listTopics()).filter((n) => n.startsWith(prefix));
    if (mine.length) await admin.deleteTopics({ topics: mine, timeout: 10000 }).catch(() => undefined);
  });
  const readAll: TestKafka['readAll'] = async (spec, until, timeoutMs = 30000) => {
    const list = Array.isArray(spec) ? spec : [spec];
    const topics = list.map((s: TopicSpec | string) => (typeof s === 'string' ? s : topicName(s, prefix)));
    const consumer = kafka.consumer({ groupId: uniqueId('reader'), allowAutoTopicCreation: false });
    const got: ReadMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ topic, partition, message }) => void got.push({ ...message, topic, partition }) });
      await waitFor(`messages on ${topics.join(', ')}`, () => until(got), { timeoutMs });
      return got;
    } finally {
      await consumer.disconnect();
    }
  };
  return { kafka, admin, prefix, brokers: settings.kafka.brokers, registry, log, producer, readAll };
}

/**
 * The stack's TLS settings with another of its SCRAM users (`edge-gateway`, `dept-chengguan`, ...;
 * the list: schemas `kafkaUserNames`), whose password the stack keeps in
 * $STREETWATCH_KAFKA_SECRETS_DIR/<user>.password. For tests of what a principal may do.
 */
export function stackUserSecurity(user: string, env: NodeJS.ProcessEnv = process.env): KafkaSecurity {
  const dir = env.STREETWATCH_KAFKA_SECRETS_DIR;
  if (dir === undefined || dir === '') throw new Error('STREETWATCH_KAFKA_SECRETS_DIR is not set: source .stack/env');
  const password = readFileSync(join(dir, `${user}.password`), 'utf8').replace(/\r?\n$/, '');
  return withSaslUser(stackSettings(env).kafka, user, password);
}
