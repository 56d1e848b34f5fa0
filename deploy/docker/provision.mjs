// One-shot setup before the cloud services start (the k8s Job `streetwatch-setup`, the compose
// service `setup`): creates every Kafka topic with the cluster's replication factor and runs the
// database migrations. The services also do both at start, idempotently, but with replication
// factor 1 for any topic they create: run this first on a multi-broker cluster.
//
//   node deploy/docker/provision.mjs --component stream-processor
//   node deploy/docker/provision.mjs --component alert-router --config router.yaml [--acls]
//
// --acls (compose; with the alert-router component, whose config names the departments): also
// create every principal's Kafka ACLs (schemas/src/access.ts). On k8s the Strimzi User Operator
// owns the ACLs (k8s/base/kafka/users.yaml): do not pass it there.
// Kafka connection as the services' (TLS + SASL, platform/src/kafka/security.ts), as the admin user.
//
// Environment (as for the services): STREETWATCH_KAFKA_BROKERS, PGHOST/PGPORT/PGUSER/PGPASSWORD/
// PGDATABASE, STREETWATCH_TOPIC_PREFIX (default ''), STREETWATCH_TOPIC_REPLICATION (default 1).
// Exit 0 when every topic exists and migrations are applied; 1 otherwise. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { applyKafkaAcls, createKafka, createLogger, createPool, migrate, provisionTopics, stackSettings } from '@streetwatch/platform';
import { allTopicSpecs, departmentTopic, kafkaPrincipals } from '@streetwatch/schemas';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { component: { type: 'string' }, config: { type: 'string' }, acls: { type: 'boolean' } }, strict: true });

async function plan(component, config) {
  if (component === 'stream-processor') {
    const processor = await import('@streetwatch/stream-processor');
    return { topics: allTopicSpecs(), migrations: processor.MIGRATIONS_DIR };
  }
  if (component === 'alert-router') {
    if (!config) throw new Error('--config <router.yaml> is required for alert-router (its departments name their topics)');
    const departments = Object.keys(parse(readFileSync(config, 'utf8'))?.departments ?? {});
    return { topics: allTopicSpecs(departments.map(departmentTopic)), migrations: join(repo, 'alert-router', 'migrations'), departments };
  }
  throw new Error(`--component must be stream-processor or alert-router (got ${component ?? 'nothing'})`);
}

async function main() {
  const log = createLogger({ name: 'provision', level: process.env.STREETWATCH_LOG_LEVEL ?? 'info' });
  const { topics, migrations, departments } = await plan(values.component, values.config);
  if (values.acls && departments === undefined) throw new Error('--acls needs --component alert-router --config <router.yaml> (its departments)');
  const settings = stackSettings(process.env);
  const prefix = process.env.STREETWATCH_TOPIC_PREFIX ?? '';
  const replicationFactor = Number(process.env.STREETWATCH_TOPIC_REPLICATION ?? 1);
  const admin = createKafka(settings.kafka, log).admin();
  const pool = createPool(settings.pg);
  try {
    await admin.connect();
    const t = await provisionTopics(admin, topics, { prefix, replicationFactor, timeoutMs: 60_000 });
    const acls = values.acls ? await applyKafkaAcls(admin, kafkaPrincipals(departments)) : undefined;
    const m = await migrate(pool, migrations, { component: values.component });
    process.stdout.write(
      `${JSON.stringify({ component: values.component, created: t.created, existing: t.existing.length, drift: t.drift, ...(acls !== undefined ? { acls } : {}), migrations: m })}\n`,
    );
  } finally {
    await admin.disconnect().catch(() => {});
    await pool.end().catch(() => {});
  }
}

main().catch((err) => {
  process.stderr.write(`provision failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
