// Readiness probe for the local stack: exit 0 when the broker at argv[2] answers a metadata
// request (kafkajs admin describeCluster), 1 otherwise. One attempt; stack.sh loops with a deadline.
// TLS + SASL as the admin: STREETWATCH_KAFKA_SSL_CA_FILE, STREETWATCH_KAFKA_SASL_USERNAME,
// STREETWATCH_KAFKA_SASL_PASSWORD_FILE (stack.sh sets them).
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';

const brokers = (process.argv[2] ?? '127.0.0.1:19092').split(',');
const kafka = new Kafka({
  clientId: 'streetwatch-stack-probe',
  brokers,
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2000,
  requestTimeout: 3000,
  retry: { retries: 0 },
  ssl: { ca: [readFileSync(process.env.STREETWATCH_KAFKA_SSL_CA_FILE ?? '', 'utf8')], rejectUnauthorized: true },
  sasl: {
    mechanism: 'scram-sha-512',
    username: process.env.STREETWATCH_KAFKA_SASL_USERNAME ?? '',
    password: readFileSync(process.env.STREETWATCH_KAFKA_SASL_PASSWORD_FILE ?? '', 'utf8').replace(/\r?\n$/, ''),
  },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  process.stdout.write(`brokers=${cluster.brokers.length} controller=${cluster.controller}\n`);
  await admin.disconnect();
  process.exit(0);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
