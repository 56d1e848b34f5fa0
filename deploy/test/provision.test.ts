// The setup step the k8s Job and docker-compose run (deploy/docker/provision.mjs), against the real
// broker and database of the local stack: it creates every topic (catalogue, DLQs, the processor's
// internal topic, the router config's department topics) and applies both services' migrations;
// a second run changes nothing.
import t from 'tap';
import { join } from 'node:path';
import { createKafka, createLogger, stackSettings } from '@streetwatch/platform';
import { testDatabase, uniqueId } from '@streetwatch/platform/testing';
import { allTopicSpecs, departmentTopic, topicName } from '@streetwatch/schemas';
import { REPO } from './support/metrics.js';
import { run } from './support/tools.js';

const SCRIPT = join(REPO, 'deploy/docker/provision.mjs');
const ROUTER_CONFIG = join(REPO, 'k8s/base/config/router.yaml');

interface Result {
  component: string;
  created: string[];
  existing: number;
  migrations: { applied: string[]; skipped: string[] };
}

t.test('provision creates every topic and applies the migrations of both services, and is idempotent', async (t) => {
  const db = await testDatabase(t);
  const prefix = `${uniqueId('prov').toLowerCase()}.`;
  const settings = stackSettings();
  const admin = createKafka({ ...stackSettings().kafka, clientId: 'deploy-test' }, createLogger({ name: 'deploy-test', level: 'silent' })).admin();
  await admin.connect();
  t.teardown(async () => {
    const mine = (await admin.listTopics()).filter((n) => n.startsWith(prefix));
    if (mine.length > 0) await admin.deleteTopics({ topics: mine, timeout: 30_000 });
    await admin.disconnect();
  });
  const env = { ...process.env, PGDATABASE: db.settings.database, STREETWATCH_TOPIC_PREFIX: prefix, STREETWATCH_LOG_LEVEL: 'warn' };
  const provision = async (args: string[]): Promise<Result> => {
    const r = await run(process.execPath, [SCRIPT, ...args], { env, timeoutMs: 90_000 });
    t.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Result;
  };

  const processor = await provision(['--component', 'stream-processor']);
  const router = await provision(['--component', 'alert-router', '--config', ROUTER_CONFIG]);

  const topics = new Set(await admin.listTopics());
  const expected = allTopicSpecs(['chengguan', 'market-supervision', 'public-management', 'safety'].map(departmentTopic)).map((s) => topicName(s, prefix));
  for (const name of [...expected, `${prefix}streetwatch.processor-shop-violations.v1`]) t.ok(topics.has(name), name);
  t.ok(processor.migrations.applied.length > 0, `processor migrations: ${processor.migrations.applied.join(', ')}`);
  t.ok(router.migrations.applied.length > 0, `router migrations: ${router.migrations.applied.join(', ')}`);
  t.ok(router.created.some((n) => n.endsWith('streetwatch.dept.chengguan.v1')), 'department topics from the router config');

  const tables = await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'public'`);
  t.ok(Number(tables.rows[0]?.n) > 3, `${tables.rows[0]?.n} tables created`);

  const again = await provision(['--component', 'alert-router', '--config', ROUTER_CONFIG]);
  t.same(again.created, [], 'nothing created the second time');
  t.same(again.migrations.applied, [], 'no migration applied twice');
});

t.test('provision refuses an unknown component with exit code 1', async (t) => {
  const r = await run(process.execPath, [SCRIPT, '--component', 'nope'], { timeoutMs: 30_000 });
  t.equal(r.code, 1);
  t.match(r.stderr, /--component must be stream-processor or alert-router/);
});
