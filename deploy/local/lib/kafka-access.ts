// The local broker's principals and ACLs, from the one table (schemas/src/access.ts) and the
// departments of the cloud router config (k8s/base/config/router.yaml, the file compose mounts
// too), so the local broker, compose and k8s hold the same set. Run by deploy/local/lib/kafka.sh
// with tsx, before the build (it imports sources, never dist/):
//
//   tsx kafka-access.ts users            one SCRAM user name per line (admin first)
//   tsx kafka-access.ts apply            create every ACL, connecting as the admin from the env:
//        STREETWATCH_KAFKA_BROKERS, STREETWATCH_KAFKA_SSL_CA_FILE,
//        STREETWATCH_KAFKA_SASL_USERNAME, STREETWATCH_KAFKA_SASL_PASSWORD_FILE
// Exit 0 on success; 1 with one line on stderr.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { parse } from 'yaml';
import { kafkaPrincipals, kafkaUserNames } from '../../../schemas/src/access.js';
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

const cmd = process.argv[2];
try {
  if (cmd === 'users') process.stdout.write(`${kafkaUserNames(localDepartments()).join('\n')}\n`);
  else if (cmd === 'apply') await apply();
  else throw new Error(`unknown command '${cmd ?? ''}' (users | apply)`);
} catch (err) {
  process.stderr.write(`kafka-access ${cmd ?? ''}: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
