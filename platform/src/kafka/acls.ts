/**
 * Put the per-principal ACLs of schemas' `kafkaPrincipals` on a broker (the admin principal
 * does it: the local stack, the compose set-up job), and read back what a broker has, so tests
 * compare the live set with the table. Idempotent: creating an ACL that exists is a no-op.
 */
import kafkajs, { type Admin } from 'kafkajs';
import type { KafkaAcl, KafkaOperation, KafkaPrincipal, KafkaResourceType, KafkaPatternType } from '@streetwatch/schemas';
import { StreetwatchError } from '../errors.js';

const { AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs;

const RESOURCE: Record<KafkaResourceType, number> = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP };
const PATTERN: Record<KafkaPatternType, number> = { literal: ResourcePatternTypes.LITERAL, prefixed: ResourcePatternTypes.PREFIXED };
const OPERATION: Record<KafkaOperation, number> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Create: AclOperationTypes.CREATE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
};

const invert = <K extends string>(m: Record<K, number>): Map<number, K> => new Map(Object.entries(m).map(([k, v]) => [v as number, k as K]));
const RESOURCE_NAME = invert(RESOURCE);
const PATTERN_NAME = invert(PATTERN);
const OPERATION_NAME = invert(OPERATION);

/** Create every principal's ACLs (ALLOW, any host). Returns how many ACL entries were sent. */
export async function applyKafkaAcls(admin: Admin, principals: readonly KafkaPrincipal[]): Promise<number> {
  const acl = principals.flatMap((p) =>
    p.acls.map((a) => ({
      resourceType: RESOURCE[a.resource],
      resourceName: a.name,
      resourcePatternType: PATTERN[a.pattern],
      principal: `User:${p.name}`,
      host: '*',
      operation: OPERATION[a.operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  if (acl.length === 0) return 0;
  try {
    await admin.createAcls({ acl: acl as Parameters<Admin['createAcls']>[0]['acl'] });
  } catch (err) {
    throw new StreetwatchError('SW_KAFKA_DENIED', `creating ${acl.length} Kafka ACLs failed: ${(err as Error).message}`, { cause: err });
  }
  return acl.length;
}

/**
 * The ALLOW ACLs a broker holds, per principal name (`User:` stripped), in the table's terms and
 * order; entries the table cannot express (other resource types, operations, DENY) are kept as
 * `unexpected` strings so a comparison shows them.
 */
export async function describeKafkaAcls(admin: Admin): Promise<{ principals: Map<string, KafkaAcl[]>; unexpected: string[] }> {
  const res = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const principals = new Map<string, KafkaAcl[]>();
  const unexpected: string[] = [];
  for (const r of res.resources) {
    for (const a of r.acls) {
      const resource = RESOURCE_NAME.get(r.resourceType);
      const pattern = PATTERN_NAME.get(r.resourcePatternType);
      const operation = OPERATION_NAME.get(a.operation);
      const name = a.principal.replace(/^User:/, '');
      if (!resource || !pattern || !operation || a.permissionType !== AclPermissionTypes.ALLOW || a.host !== '*') {
        unexpected.push(`${a.principal} ${a.operation}/${a.permissionType} on ${r.resourceType}:${r.resourcePatternType}:${r.resourceName} from ${a.host}`);
        continue;
      }
      const list = principals.get(name) ?? [];
      list.push({ resource, pattern, name: r.resourceName, operation });
      principals.set(name, list);
    }
  }
  const key = (a: KafkaAcl): string => `${a.resource}|${a.pattern}|${a.name}|${a.operation}`;
  for (const list of principals.values()) list.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  return { principals, unexpected };
}
