// The Kafka principals and ACLs come from one table (schemas/src/access.ts + the departments of
// k8s/base/config/router.yaml). This file checks that the places that apply them agree with it:
// the live local broker (deploy/local), the Strimzi KafkaUsers (k8s/base/kafka/users.yaml), and
// which principal each compose service and k8s workload connects as.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { createKafka, createLogger, describeKafkaAcls, stackSettings } from '@streetwatch/platform';
import { KAFKA_ADMIN_PRINCIPAL, kafkaPrincipals, kafkaUserNames, type KafkaAcl } from '@streetwatch/schemas';
import { REPO } from './support/metrics.js';

const departments = Object.keys((parse(readFileSync(join(REPO, 'k8s/base/config/router.yaml'), 'utf8')) as { departments: Record<string, unknown> }).departments);
const table = kafkaPrincipals(departments);
const key = (a: KafkaAcl): string => `${a.resource} ${a.pattern} ${a.name} ${a.operation}`;
const keys = (acls: readonly KafkaAcl[]): string[] => acls.map(key).sort();

t.test('the table: gateways write only their topics, departments read only their queue, services their own', async (t) => {
  const by = new Map(table.map((p) => [p.name, keys(p.acls)]));
  t.same(by.get('edge-gateway'), ['topic literal streetwatch.camera-health.v1 Write', 'topic literal streetwatch.detections.v1 Write', 'topic literal streetwatch.flow-counts.v1 Write']);
  t.same(by.get('dept-chengguan'), ['group prefixed dept-chengguan. Read', 'topic literal streetwatch.dept.chengguan.v1 Read']);
  const router = by.get('alert-router') ?? [];
  t.ok(router.includes('topic literal streetwatch.alerts.v1 Read') && !router.some((a) => a.startsWith('topic literal streetwatch.alerts.v1 Write')), 'the router reads alerts, never writes them');
  t.ok(router.includes('topic literal streetwatch.dept.safety.v1 Write'), 'the router writes department queues');
  const processor = by.get('stream-processor') ?? [];
  t.ok(processor.includes('topic literal streetwatch.alerts.v1 Write') && processor.includes('topic literal streetwatch.detections.v1.dlq Write'));
  t.ok(processor.includes('topic literal streetwatch.flow-counts.v1 Read') && processor.includes('topic literal streetwatch.flow-counts.v1.dlq Write'), 'the processor reads flow counts and dead-letters them');
  t.notOk(processor.some((a) => a.includes('streetwatch.dept.')), 'the processor never touches department queues');
  t.same(kafkaUserNames(departments).length, 4 + departments.length, 'admin + 3 services + one per department');
});

t.test('the live local broker holds exactly the table (deploy/local/lib/kafka-access.ts apply)', async (t) => {
  const admin = createKafka({ ...stackSettings().kafka, clientId: 'acl-check' }, createLogger({ name: 'acl-check', level: 'silent' })).admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const live = await describeKafkaAcls(admin);
  t.same(live.unexpected, [], 'no ACL outside the table (DENY, other operations)');
  for (const p of table) t.same(keys(live.principals.get(p.name) ?? []), keys(p.acls), `${p.name}`);
  t.same([...live.principals.keys()].filter((n) => !table.some((p) => p.name === n)), [], 'no principal outside the table');
});

interface StrimziAcl {
  resource: { type: KafkaAcl['resource']; name: string; patternType: KafkaAcl['pattern'] };
  operations: KafkaAcl['operation'][];
  host: string;
}
interface KafkaUserDoc {
  kind: string;
  metadata: { name: string };
  spec: { authentication: { type: string }; authorization?: { type: string; acls: StrimziAcl[] } };
}

t.test('the Strimzi KafkaUsers (k8s/base/kafka/users.yaml) are the table', async (t) => {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'k8s/base/kafka/users.yaml'), 'utf8')).map((d) => d.toJS() as KafkaUserDoc);
  const hint = 'regenerate: node_modules/.bin/tsx deploy/local/lib/kafka-access.ts strimzi > k8s/base/kafka/users.yaml';
  t.same(docs.map((d) => d.metadata.name).sort(), kafkaUserNames(departments).sort(), `one KafkaUser per principal (${hint})`);
  const adminDoc = docs.find((d) => d.metadata.name === KAFKA_ADMIN_PRINCIPAL);
  t.equal(adminDoc?.spec.authorization, undefined, 'the admin is a super user (Kafka CR), no ACLs');
  for (const p of table) {
    const doc = docs.find((d) => d.metadata.name === p.name);
    t.equal(doc?.spec.authentication.type, 'scram-sha-512', `${p.name}: SCRAM-SHA-512`);
    const acls = (doc?.spec.authorization?.acls ?? []).flatMap((a) =>
      a.host === '*' ? a.operations.map((operation) => ({ resource: a.resource.type, pattern: a.resource.patternType, name: a.resource.name, operation })) : [],
    );
    t.same(keys(acls), keys(p.acls), `${p.name}: ACLs as the table (${hint})`);
  }
});

interface ComposeService {
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

t.test('each compose service connects as its own principal with its own password file only', async (t) => {
  const users = new Set(kafkaUserNames(departments));
  const files = { cloud: 'deploy/compose/docker-compose.yml', edge: 'deploy/compose/edge/docker-compose.yml' };
  const expected: Record<string, string> = {
    processor: 'stream-processor',
    router: 'alert-router',
    'setup-processor': KAFKA_ADMIN_PRINCIPAL,
    'setup-router': KAFKA_ADMIN_PRINCIPAL,
    gateway: 'edge-gateway',
  };
  for (const [, file] of Object.entries(files)) {
    const doc = parse(readFileSync(join(REPO, file), 'utf8')) as { services: Record<string, ComposeService> };
    for (const [name, s] of Object.entries(doc.services)) {
      const env = { ...s.environment };
      // The anchors merge in the shared settings (x-stack-env): yaml keeps `<<` as a key.
      const merged = { ...((env as Record<string, unknown>)['<<'] as Record<string, string> | undefined), ...env };
      const user = merged.STREETWATCH_KAFKA_SASL_USERNAME;
      if (!(name in expected)) {
        t.equal(user, undefined, `${file} ${name}: no Kafka user`);
        continue;
      }
      t.equal(user, expected[name], `${file} ${name} connects as ${expected[name]}`);
      t.ok(users.has(user ?? ''), `${name}: ${user} is a principal of the table`);
      t.ok(merged.STREETWATCH_KAFKA_SSL_CA_FILE, `${name}: trusts a CA file`);
      const pwMounts = (s.volumes ?? []).filter((v) => v.endsWith(':/run/secrets/kafka/password:ro'));
      t.equal(pwMounts.length, 1, `${name}: one password file mounted`);
      t.match(pwMounts[0] ?? '', new RegExp(`/${user}\\.password:`), `${name}: it is ${user}'s`);
    }
  }
  const cloud = parse(readFileSync(join(REPO, files.cloud), 'utf8')) as { services: Record<string, ComposeService> };
  t.ok(cloud.services['setup-router']?.command?.includes('--acls'), 'the set-up job creates the ACLs of the table');
});

t.test('each k8s workload connects as its KafkaUser, password from that user\'s Secret', async (t) => {
  const cases: Array<[string, string]> = [
    ['k8s/base/processor/deployment.yaml', 'stream-processor'],
    ['k8s/base/router/deployment.yaml', 'alert-router'],
    ['k8s/base/setup-job.yaml', KAFKA_ADMIN_PRINCIPAL],
  ];
  for (const [file, user] of cases) {
    const text = readFileSync(join(REPO, file), 'utf8');
    const doc = parse(text) as { spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }> }>; initContainers?: unknown[] } } } };
    const pod = doc.spec.template.spec;
    for (const c of [...pod.containers, ...((pod.initContainers ?? []) as typeof pod.containers)]) {
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      t.equal(env.get('STREETWATCH_KAFKA_SASL_USERNAME')?.value, user, `${file}: user ${user}`);
      t.same(env.get('STREETWATCH_KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef, { name: user, key: 'password' }, `${file}: Strimzi's Secret ${user}`);
    }
  }
  const edge = readFileSync(join(REPO, 'k8s/overlays/edge/gateway-deployment.yaml'), 'utf8');
  t.match(edge, /STREETWATCH_KAFKA_SASL_USERNAME\s+value: edge-gateway/, 'the edge box connects as edge-gateway');
});
