// Per-run isolation of the demo on the shared local stack: each run has its own topic prefix
// (`demo-<run>.`), consumer groups (`demo-<run>-...`) and database (`streetwatch_demo_<run>`).
//
//   node admin.mjs create-db <name>         create the run's database
//   node admin.mjs drop-run <run>           delete that run's topics, groups and database
//   node admin.mjs drop-stale               the same for every earlier run (left by a killed demo)
//   node admin.mjs provision <prefix> <router.yaml>   every catalogue topic + the config's department
//                                           topics under the run's prefix (the admin's job: each
//                                           service may only create the topics it writes)
//
// Connection settings from the environment (.stack/env). Exit 0 on success, 1 with one line on stderr.
import kafkajs from 'kafkajs';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { provisionTopics, stackSettings } from '@streetwatch/platform';
import { allTopicSpecs, departmentTopic } from '@streetwatch/schemas';

const settings = stackSettings(process.env);
const RUN = /^[a-z0-9]+$/;

async function withPg(fn) {
  const c = new pg.Client({ ...settings.pg, connectionTimeoutMillis: 10_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function withAdmin(fn) {
  const { brokers, ssl, sasl } = settings.kafka; // TLS + SASL as the stack's admin
  const kafka = new kafkajs.Kafka({
    clientId: 'demo-admin',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 5000,
    ...(ssl ? { ssl: { ca: ssl.ca ? [ssl.ca] : undefined, rejectUnauthorized: true } } : {}),
    ...(sasl ? { sasl: { mechanism: 'scram-sha-512', username: sasl.username, password: sasl.password } } : {}),
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Drops the topics, groups and databases of the runs `match` accepts; returns what it removed. */
async function drop(match) {
  const removed = { topics: 0, groups: 0, databases: [] };
  await withAdmin(async (admin) => {
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => match(/^demo-([a-z0-9]+)-/.exec(g)?.[1]));
    if (groups.length > 0) {
      // only empty groups can be deleted; a group of a live process is left alone
      const res = await admin.deleteGroups(groups).catch((e) => e.groups ?? []);
      removed.groups = res.filter((r) => r.errorCode === 0).length;
    }
    const topics = (await admin.listTopics()).filter((t) => match(/^demo-([a-z0-9]+)\./.exec(t)?.[1]));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    removed.topics = topics.length;
  });
  await withPg(async (c) => {
    const rows = (await c.query(`SELECT datname FROM pg_database WHERE datname LIKE 'streetwatch\\_demo\\_%'`)).rows;
    for (const { datname } of rows) {
      if (!match(/^streetwatch_demo_([a-z0-9]+)$/.exec(datname)?.[1])) continue;
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      removed.databases.push(datname);
    }
  });
  return removed;
}

async function main() {
  const [cmd, arg] = process.argv.slice(2);
  if (cmd === 'create-db') {
    if (!/^streetwatch_demo_[a-z0-9]+$/.test(arg ?? '')) throw new Error(`bad database name ${arg}`);
    await withPg((c) => c.query(`CREATE DATABASE "${arg}"`));
    return;
  }
  if (cmd === 'drop-run') {
    if (!RUN.test(arg ?? '')) throw new Error(`bad run id ${arg}`);
    const r = await drop((run) => run === arg);
    process.stdout.write(`removed run ${arg}: ${r.topics} topics, ${r.groups} consumer groups, database ${r.databases.join(', ') || '-'}\n`);
    return;
  }
  if (cmd === 'drop-stale') {
    const r = await drop((run) => run !== undefined);
    if (r.topics + r.groups + r.databases.length > 0) {
      process.stdout.write(`removed earlier demo runs: ${r.topics} topics, ${r.groups} consumer groups, ${r.databases.length} databases\n`);
    }
    return;
  }
  if (cmd === 'provision') {
    const prefix = arg ?? '';
    if (!/^demo-[a-z0-9]+\.$/.test(prefix)) throw new Error(`bad topic prefix ${prefix}`);
    const departments = Object.keys(parse(readFileSync(process.argv[4] ?? '', 'utf8'))?.departments ?? {});
    const r = await withAdmin((admin) => provisionTopics(admin, allTopicSpecs(departments.map(departmentTopic)), { prefix }));
    process.stdout.write(`topics ${prefix}streetwatch.*: ${r.created.length} created, ${r.existing.length} existing\n`);
    return;
  }
  throw new Error('usage: admin.mjs create-db <name> | drop-run <run> | drop-stale | provision <prefix> <router.yaml>');
}

main().catch((err) => {
  process.stderr.write(`demo: ${err?.message ?? err}\n`);
  process.exit(1);
});
