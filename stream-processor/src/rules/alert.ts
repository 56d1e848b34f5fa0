import { createHash } from 'node:crypto';
import { iso } from '@streetwatch/platform';
import { evidenceLocator, type Alert, type EvidenceRef } from '@streetwatch/schemas';
import type { RuleSpec } from '../config/load.js';
import { renderTitle, type TemplateValues } from './template.js';
import type { ViolationRef } from './types.js';

/**
 * Deterministic alert id: the same rule, key and window start (or violation) give the same id on
 * replay, restart or in another instance, so downstream deduplication makes duplicates harmless.
 */
export function alertId(ruleId: string, key: string, discriminator: string | number): string {
  return 'al-' + createHash('sha256').update(`${ruleId}\n${key}\n${discriminator}`).digest('hex').slice(0, 32);
}

export function stableId(prefix: string, ...parts: Array<string | number>): string {
  return prefix + createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);
}

/** The site of a group of violations: all cameras, and the zone/grid/... when they agree. */
export function siteOf(refs: readonly ViolationRef[], shopId?: string): Alert['site'] {
  const cameraIds = [...new Set(refs.map((r) => r.c))].slice(0, 100);
  const one = (k: 'z' | 'g' | 'm' | 'si' | 's'): string | undefined => {
    const vals = new Set(refs.map((r) => r[k]).filter((x): x is string => x !== undefined));
    return vals.size === 1 ? [...vals][0] : undefined;
  };
  const zoneId = one('z');
  const gridId = one('g');
  const communityId = one('m');
  const siteId = one('si');
  const shop = shopId ?? one('s');
  return {
    cameraIds,
    ...(zoneId === undefined ? {} : { zoneId }),
    ...(gridId === undefined ? {} : { gridId }),
    ...(communityId === undefined ? {} : { communityId }),
    ...(siteId === undefined ? {} : { siteId }),
    ...(shop === undefined ? {} : { shopId: shop }),
  };
}

export function evidenceOf(refs: readonly ViolationRef[]): EvidenceRef[] {
  const out: EvidenceRef[] = [];
  const seen = new Set<string>();
  for (const r of refs) {
    if (r.ev && !seen.has(evidenceLocator(r.ev))) {
      seen.add(evidenceLocator(r.ev));
      out.push(r.ev);
      if (out.length >= 20) break;
    }
  }
  return out;
}

export interface AlertFacts {
  readonly key: string;
  readonly discriminator: string | number;
  readonly type: Alert['type'];
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly eventTime: number;
  readonly count: number;
  readonly refs: readonly ViolationRef[];
  readonly shopId?: string;
  readonly title: TemplateValues;
}

export function buildAlert(spec: RuleSpec, f: AlertFacts, wallNow: number): Alert {
  const site = siteOf(f.refs, f.shopId);
  const values: TemplateValues = {
    ruleId: spec.id,
    kind: spec.kind,
    type: f.type,
    count: f.count,
    cameraId: site.cameraIds[0],
    cameraIds: site.cameraIds.join(','),
    zoneId: site.zoneId,
    gridId: site.gridId,
    communityId: site.communityId,
    shopId: site.shopId,
    severity: spec.severity,
    ...f.title,
  };
  return {
    schemaVersion: 1,
    alertId: alertId(spec.id, f.key, f.discriminator),
    ruleId: spec.id,
    ruleKind: spec.kind,
    key: f.key,
    type: f.type,
    severity: spec.severity,
    title: renderTitle(spec.title, values),
    window: { start: iso(f.windowStart), end: iso(f.windowEnd) },
    count: f.count,
    violationIds: [...new Set(f.refs.map((r) => r.v))].slice(0, 500),
    evidence: evidenceOf(f.refs),
    site,
    labels: { ...spec.labels },
    eventTime: iso(f.eventTime),
    createdAt: iso(wallNow),
  };
}
