/** The monitoring artefacts as data: dashboards (JSON on disk), their queries, rule expressions. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './metrics.js';

export const MONITORING = join(REPO, 'deploy', 'monitoring');
export const DASHBOARD_DIR = join(MONITORING, 'grafana', 'dashboards');
export const RULES_DIR = join(MONITORING, 'prometheus', 'rules');

export interface JsonPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr?: string; refId?: string; datasource?: { uid?: string } }>;
  panels?: JsonPanel[];
}
export interface JsonDashboard {
  uid: string;
  title: string;
  panels: JsonPanel[];
  templating?: { list?: Array<{ name: string; type: string; query?: string | { query?: string }; datasource?: { uid?: string } }> };
}

export function dashboardFiles(): string[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function readDashboard(file: string): JsonDashboard {
  return JSON.parse(readFileSync(join(DASHBOARD_DIR, file), 'utf8')) as JsonDashboard;
}

/** Panels including those nested in rows. */
export function allPanels(d: JsonDashboard): JsonPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export interface Located {
  where: string;
  expr: string;
}

/** Every PromQL text of a dashboard: panel targets and variable queries. */
export function dashboardQueries(file: string, d: JsonDashboard): Located[] {
  const out: Located[] = [];
  for (const p of allPanels(d)) {
    for (const t of p.targets ?? []) if (t.expr) out.push({ where: `${file} panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr });
  }
  for (const v of d.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (v.type === 'query' && q) out.push({ where: `${file} variable ${v.name}`, expr: q });
  }
  return out;
}

export interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }>;
}

export function ruleFiles(): Array<{ file: string; doc: RuleFile }> {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
    .sort()
    .map((file) => ({ file, doc: parse(readFileSync(join(RULES_DIR, file), 'utf8')) as RuleFile }));
}

export function ruleExpressions(): Located[] {
  return ruleFiles().flatMap(({ file, doc }) =>
    doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `${file} ${g.name} ${r.record ?? r.alert ?? '?'}`, expr: r.expr }))),
  );
}

export function recordedNames(): Set<string> {
  return new Set(ruleFiles().flatMap(({ doc }) => doc.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])))));
}

/** A dashboard query as plain PromQL: Grafana's variables replaced by values Prometheus accepts. */
export function plainPromql(expr: string): string {
  return expr
    .replace(/^label_values\(([\s\S]*),\s*\w+\s*\)$/, '$1')
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?\w+\}?/g, '.*');
}
