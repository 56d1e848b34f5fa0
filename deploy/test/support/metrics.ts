/**
 * Metric names, from both ends: the names the services' TypeScript sources register with
 * prom-client, and the names a PromQL expression (a rule, a dashboard query) reads. The tests
 * compare the two so a renamed metric cannot leave a dashboard or an alert silently empty.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..', '..');
export const SOURCE_DIRS = ['platform/src', 'edge-gateway/src', 'stream-processor/src', 'alert-router/src'];

export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const NAME = '([a-zA-Z_:][a-zA-Z0-9_:]*)';
// platform's get-or-create helpers: counter(registry, 'name', ...), possibly over several lines.
const HELPER = new RegExp(String.raw`\b(counter|gauge|histogram)\(\s*[\w.]+\s*,\s*(['"\x60])${NAME}\2`, 'g');
// prom-client constructors: new Counter({ name: 'x', ... }) (name within the first lines of the object).
const CTOR = new RegExp(String.raw`\bnew\s+(?:\w+\.)?(Counter|Gauge|Histogram|Summary)\s*(?:<[^>]*>)?\(\s*\{[\s\S]{0,200}?\bname:\s*(['"\x60])${NAME}\2`, 'g');

/** Metric names registered in TypeScript source text. */
export function metricsInSource(text: string): Map<string, MetricKind> {
  const found = new Map<string, MetricKind>();
  for (const re of [HELPER, CTOR]) {
    for (const m of text.matchAll(re)) found.set(m[3] as string, (m[1] as string).toLowerCase() as MetricKind);
  }
  return found;
}

/** Every metric the services register, with its kind, and the file that registers it. */
export function sourceMetrics(dirs: string[] = SOURCE_DIRS): Map<string, { kind: MetricKind; file: string }> {
  const all = new Map<string, { kind: MetricKind; file: string }>();
  for (const dir of dirs) {
    for (const file of tsFiles(join(REPO, dir))) {
      for (const [name, kind] of metricsInSource(readFileSync(file, 'utf8'))) all.set(name, { kind, file: file.slice(REPO.length + 1) });
    }
  }
  return all;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool', 'atan2', 'inf', 'nan', 'start', 'end']);

/**
 * The metric (or recording-rule) names a PromQL expression reads. Grafana variables are dropped;
 * `label_values(expr, label)` (a Grafana variable query) reads the names in expr.
 */
export function namesInPromql(expr: string): string[] {
  let s = expr.replace(/\blabel_values\(([\s\S]*),\s*\w+\s*\)/g, '$1');
  s = s.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  s = s.replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  s = s.replace(/\{[^}]*\}/g, ' ');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)) {
    const n = m[1] as string;
    if (!KEYWORDS.has(n.toLowerCase())) names.add(n);
  }
  return [...names];
}

/** Series names a histogram, counter, gauge or summary exposes. */
export function exposedNames(name: string, kind: MetricKind): string[] {
  if (kind === 'histogram') return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
  if (kind === 'summary') return [name, `${name}_sum`, `${name}_count`];
  return [name];
}

/** prom-client's default metrics (collectDefaultMetrics) and Prometheus' own series. */
export function isBuiltin(name: string): boolean {
  return /^(process_|nodejs_)/.test(name) || name === 'up' || name.startsWith('scrape_');
}
