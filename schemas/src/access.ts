/**
 * Who may do what on Kafka: the per-principal ACLs, derived from the topic catalogue (its
 * `producers` and `consumers`) and the departments. The one place they come from: the local stack
 * (deploy/local/lib/kafka-access.ts), the compose set-up job (deploy/docker/provision.mjs) and the
 * k8s Strimzi `KafkaUser`s (k8s/base/kafka/users.yaml, generated; deploy/test checks they agree).
 *
 * - `edge-gateway` writes detections, camera health and flow counts (nothing else, reads nothing);
 * - `stream-processor` and `alert-router` read their input topics, write their outputs and the
 *   dead-letter topics of their inputs, and use consumer groups named with their own prefix;
 *   both may create (and compare the settings of) the topics they write, as their start does
 *   (the router its outputs and department queues, the processor its internal topic);
 * - `dept-<id>` reads `streetwatch.dept.<id>.v1` with groups named `dept-<id>.…`;
 * - `streetwatch-admin` is a super user (provisioning, tests), so it has no ACLs.
 * Catalogue roles without a principal here ('inspection apps', 'ops', 'dashboards', 'city
 * platforms') get no access until one is added.
 */
import { allTopicSpecs, departmentTopic, type TopicSpec } from './topics.js';

export type KafkaOperation = 'Read' | 'Write' | 'Create' | 'DescribeConfigs';
export type KafkaResourceType = 'topic' | 'group';
export type KafkaPatternType = 'literal' | 'prefixed';

/** One allowed operation on one resource pattern (Read/Write imply Describe on the broker). */
export interface KafkaAcl {
  readonly resource: KafkaResourceType;
  readonly pattern: KafkaPatternType;
  readonly name: string;
  readonly operation: KafkaOperation;
}

export interface KafkaPrincipal {
  /** SCRAM user name; the broker principal is `User:<name>`. */
  readonly name: string;
  readonly acls: readonly KafkaAcl[];
}

/** The provisioning/test principal: a super user on every broker. */
export const KAFKA_ADMIN_PRINCIPAL = 'streetwatch-admin';

/** Services with a principal of their own: catalogue role → consumer-group prefix, creates its outputs. */
export const KAFKA_SERVICE_PRINCIPALS = {
  'edge-gateway': { groupPrefix: undefined, createsOutputs: false },
  'stream-processor': { groupPrefix: 'stream-processor', createsOutputs: true },
  'alert-router': { groupPrefix: 'alert-router', createsOutputs: true },
} as const satisfies Record<string, { groupPrefix: string | undefined; createsOutputs: boolean }>;

export type KafkaServicePrincipal = keyof typeof KAFKA_SERVICE_PRINCIPALS;

/** The principal of a department's queue consumer. */
export function departmentPrincipal(departmentId: string): string {
  return `dept-${departmentId}`;
}

const aclKey = (a: KafkaAcl): string => `${a.resource}|${a.pattern}|${a.name}|${a.operation}`;

function sorted(acls: KafkaAcl[]): KafkaAcl[] {
  const seen = new Map<string, KafkaAcl>();
  for (const a of acls) seen.set(aclKey(a), a);
  return [...seen.values()].sort((x, y) => (aclKey(x) < aclKey(y) ? -1 : aclKey(x) > aclKey(y) ? 1 : 0));
}

function serviceAcls(role: KafkaServicePrincipal, topics: readonly TopicSpec[]): KafkaAcl[] {
  const { groupPrefix, createsOutputs } = KAFKA_SERVICE_PRINCIPALS[role];
  const acls: KafkaAcl[] = [];
  const topic = (name: string, operation: KafkaOperation): KafkaAcl => ({ resource: 'topic', pattern: 'literal', name, operation });
  for (const t of topics) {
    if (t.producers.includes(role)) {
      acls.push(topic(t.name, 'Write'));
      if (createsOutputs) acls.push(topic(t.name, 'Create'), topic(t.name, 'DescribeConfigs'));
    }
    if (t.consumers.includes(role)) acls.push(topic(t.name, 'Read'));
  }
  if (groupPrefix !== undefined) acls.push({ resource: 'group', pattern: 'prefixed', name: groupPrefix, operation: 'Read' });
  return sorted(acls);
}

/**
 * Every principal but the admin, with its ACLs, for a deployment whose router serves
 * `departments`. Deterministic (sorted), so generated files and live brokers compare exactly.
 */
export function kafkaPrincipals(departments: readonly string[]): KafkaPrincipal[] {
  const topics = allTopicSpecs(departments.map(departmentTopic));
  const out: KafkaPrincipal[] = (Object.keys(KAFKA_SERVICE_PRINCIPALS) as KafkaServicePrincipal[]).map((role) => ({
    name: role,
    acls: serviceAcls(role, topics),
  }));
  for (const d of [...new Set(departments)].sort()) {
    const name = departmentPrincipal(d);
    out.push({
      name,
      acls: sorted([
        { resource: 'topic', pattern: 'literal', name: departmentTopic(d).name, operation: 'Read' },
        { resource: 'group', pattern: 'prefixed', name: `${name}.`, operation: 'Read' },
      ]),
    });
  }
  return out;
}

/**
 * The topics a service writes (its outputs and the dead-letter topics of its inputs), for a
 * deployment whose router serves `departments`: what a service with `createsOutputs` provisions.
 */
export function topicsWrittenBy(role: KafkaServicePrincipal, departments: readonly string[]): TopicSpec[] {
  return allTopicSpecs(departments.map(departmentTopic)).filter((t) => t.producers.includes(role));
}

/** Every SCRAM user a broker needs: the admin first, then `kafkaPrincipals(departments)`. */
export function kafkaUserNames(departments: readonly string[]): string[] {
  return [KAFKA_ADMIN_PRINCIPAL, ...kafkaPrincipals(departments).map((p) => p.name)];
}
