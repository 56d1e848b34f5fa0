// The local broker's principals and ACLs, from the one table (schemas/src/access.ts) and the
// departments of the cloud router config (k8s/base/config/router.yaml, the file compose mounts
// too), so the local broker, compose and k8s hold the same set. Run by deploy/local/lib/kafka.sh
// with tsx, before the build (it imports sources, never dist/):
//
//   tsx kafka-access.ts users            one SCRAM user name per line (admin first)
//   tsx kafka-access.ts strimzi          the Strimzi KafkaUsers (k8s/base/kafka/users.yaml):
//        tsx deploy/local/lib/kafka-access.ts strimzi > k8s/base/kafka/users.yaml
//   tsx kafka-access.ts apply            create every ACL, connecting as the admin from the env:
//        STREETWATCH_KAFKA_BROKERS, STREETWATCH_KAFKA_SSL_CA_FILE,
//        STREETWATCH_KAFKA_SASL_USERNAME, STREETWATCH_KAFKA_SASL_PASSWORD_FILE
// Exit 0 on success; 1 with one line on stderr.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { parse, stringify } from 'yaml';
// stack.sh up runs before the build (npm test: stack, then tsc -b): sources through tsx, never dist/.
// eslint-disable-next-line no-restricted-imports
import { KAFKA_ADMIN_PRINCIPAL, kafkaPrincipals, kafkaUserNames, type KafkaPrincipal } from '../../../schemas/src/access.js';
// eslint-disable-next-line no-restricted-imports
import { applyKafkaAcls } from '../../../platform/src/kafka/acls.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The departments of the cloud router config (the same list compose and k8s use). */
export function localDepartments(): string[] {
  const cfg = parse(readFileSync(join(repo, 'k8s/base/config/router.yaml'), 'utf8')) as { departments?: Record<string, unknown> };
  return Object.keys(cfg.departments ?? {});
}

async function apply(): Promise<void> {
  const env = process.env;
  const need = (k: string): string => {
    const v = env[k];
    if (v === undefined || v === '') throw new Error(`${k} is not set`);
    return v;
  };
  const kafka = new kafkajs.Kafka({
    clientId: 'streetwatch-stack-acls',
    brokers: need('STREETWATCH_KAFKA_BROKERS').split(','),
    ssl: { ca: [readFileSync(need('STREETWATCH_KAFKA_SSL_CA_FILE'), 'utf8')], rejectUnauthorized: true },
    sasl: {
      mechanism: 'scram-sha-512',
      username: need('STREETWATCH_KAFKA_SASL_USERNAME'),
      password: readFileSync(need('STREETWATCH_KAFKA_SASL_PASSWORD_FILE'), 'utf8').replace(/\r?\n$/, ''),
    },
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 2 },
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const n = await applyKafkaAcls(admin, kafkaPrincipals(localDepartments()));
    process.stdout.write(`acls=${n}\n`);
  } finally {
    await admin.disconnect();
  }
}

/** Strimzi KafkaUser resources (one per principal; ACL operations grouped per resource pattern). */
export function strimziUsers(principals: readonly KafkaPrincipal[], cluster = 'kafka'): string {
  const docs = [
    // The admin: Kafka CR spec.kafka.authorization.superUsers lists it, so it needs no ACLs.
    { name: KAFKA_ADMIN_PRINCIPAL, acls: undefined },
    ...principals.map((p) => {
      const byResource = new Map<string, { resource: { type: string; name: string; patternType: string }; operations: string[]; host: string }>();
      for (const a of p.acls) {
        const key = `${a.resource}|${a.pattern}|${a.name}`;
        const entry = byResource.get(key) ?? { resource: { type: a.resource, name: a.name, patternType: a.pattern }, operations: [], host: '*' };
        entry.operations.push(a.operation);
        byResource.set(key, entry);
      }
      return { name: p.name, acls: [...byResource.values()] };
    }),
  ].map((u) => ({
    apiVersion: 'kafka.strimzi.io/v1beta2',
    kind: 'KafkaUser',
    metadata: { name: u.name, labels: { 'strimzi.io/cluster': cluster } },
    spec: {
      authentication: { type: 'scram-sha-512' },
      ...(u.acls ? { authorization: { type: 'simple', acls: u.acls } } : {}),
    },
  }));
  const head = [
    '# GENERATED from schemas/src/access.ts and the departments of k8s/base/config/router.yaml:',
    '#   node_modules/.bin/tsx deploy/local/lib/kafka-access.ts strimzi > k8s/base/kafka/users.yaml',
    '# deploy/test/kafka-access.test.ts fails when this file and the table disagree. Do not edit.',
    "# Strimzi's User Operator makes one Secret per user (same name, key `password`) that the",
    '# workloads read; the Kafka CR must list streetwatch-admin in spec.kafka.authorization.superUsers.',
  ].join('\n');
  return `${head}\n${docs.map((d) => `---\n${stringify(d)}`).join('')}`;
}

const cmd = process.argv[2];
try {
  if (cmd === 'users') process.stdout.write(`${kafkaUserNames(localDepartments()).join('\n')}\n`);
  else if (cmd === 'apply') await apply();
  else if (cmd === 'strimzi') process.stdout.write(strimziUsers(kafkaPrincipals(localDepartments())));
  else if (cmd !== undefined) throw new Error(`unknown command '${cmd}' (users | strimzi | apply)`);
} catch (err) {
  process.stderr.write(`kafka-access ${cmd ?? ''}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
