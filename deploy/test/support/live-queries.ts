/**
 * Every query of the ops side, checked against a live pipeline: the PromQL of every dashboard
 * panel and variable and of every recording and alerting rule, asked of a running Prometheus
 * (HTTP API, instant queries), and the SQL of every SQL panel, run against the pipeline's
 * database. Used by deploy/test/demo.test.ts on the demo (four cameras, real services) and by hand:
 *
 *   npx tsx deploy/test/support/live-queries.ts --prometheus http://127.0.0.1:9090 [--database streetwatch_demo_<run>]
 *
 * What "returns series" means here: an expression is cut into the vector operands that carry its
 * data, and each must give at least one series with a number (NaN, e.g. a quantile of nothing,
 * counts as no data):
 *   - `A or vector(0)` (a panel's "show 0 when empty"): A, else the fallback would always pass;
 *   - `A and on (...) B`, `A unless B`: A and B;
 *   - a comparison with a number (`X > 600`, an alert's threshold): X, the series the alert watches
 *     (the alert itself firing is not the point: in a healthy story most alerts are quiet).
 * Expressions expected to be empty in the demo's story are listed, each with its reason, in
 * deploy/test/fixtures/demo-empty-queries.yaml; a listed one that does return data is reported too
 * (the list must stay true).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parse } from 'yaml';
import { allPanels, dashboardFiles, plainPromql, readDashboard, ruleExpressions, type Located } from './monitoring.js';
import { REPO } from './metrics.js';

export const EMPTY_LIST = join(REPO, 'deploy', 'test', 'fixtures', 'demo-empty-queries.yaml');

/** One query to check: where it is, its text, and the operands that must return data. */
export interface LiveQuery extends Located {
  lang: 'promql' | 'sql';
  operands: string[];
}

export interface ExpectedEmpty {
  /** The operand exactly as written in the dashboard / rule (before variables are replaced). */
  expr: string;
  /** `empty`: must be empty in the story; `any`: may or may not have data (load, timing): say why. */
  expect: 'empty' | 'any';
  reason: string;
}

export function expectedEmpty(file = EMPTY_LIST): Map<string, ExpectedEmpty> {
  const doc = parse(readFileSync(file, 'utf8')) as { queries: ExpectedEmpty[] };
  const out = new Map<string, ExpectedEmpty>();
  for (const q of doc.queries) {
    if (!q.reason || q.reason.trim().length < 10) throw new Error(`${file}: "${q.expr}" needs a reason`);
    if (q.expect !== 'empty' && q.expect !== 'any') throw new Error(`${file}: "${q.expr}" expect must be empty or any`);
    if (out.has(q.expr)) throw new Error(`${file}: "${q.expr}" listed twice`);
    out.set(q.expr, q);
  }
  return out;
}

// ---- cutting an expression into its data-carrying operands ----------------------------------------

/** Top-level (outside (), {}, [] and quotes) positions of a keyword or operator. */
function topLevel(expr: string, match: (rest: string, prev: string) => number): Array<{ at: number; len: number }> {
  const out: Array<{ at: number; len: number }> = [];
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if ('({['.includes(c)) depth++;
    else if (')}]'.includes(c)) depth--;
    else if (depth === 0) {
      const len = match(expr.slice(i), expr[i - 1] ?? ' ');
      if (len > 0) {
        out.push({ at: i, len });
        i += len - 1;
      }
    }
  }
  return out;
}

const word = (w: string) => (rest: string, prev: string) => (/\s/.test(prev) && new RegExp(`^${w}\\b`).test(rest) ? w.length : 0);

/** Removes a leading `on (...)` / `ignoring (...)` / `group_left (...)` modifier. */
function dropModifiers(s: string): string {
  return s.replace(/^\s*(?:(?:on|ignoring|group_left|group_right)\s*\([^)]*\)\s*|bool\s+)*/, '').trim();
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?(?:e[-+]?\d+)?|\.\d+|Inf|NaN)$/i;

/** The vector operands of an expression that must carry data (see the file's comment). */
export function operands(expr: string): string[] {
  const e = expr.trim();
  const ors = topLevel(e, word('or'));
  if (ors.length > 0) {
    const parts = split(e, ors).map(dropModifiers);
    const kept = parts.filter((p) => !/^vector\s*\(/.test(p));
    return kept.flatMap(operands);
  }
  const ands = topLevel(e, (rest, prev) => word('and')(rest, prev) || word('unless')(rest, prev));
  if (ands.length > 0) return split(e, ands).map(dropModifiers).flatMap(operands);
  const cmp = topLevel(e, (rest) => {
    const m = /^(==|!=|>=|<=|>|<)/.exec(rest);
    return m ? (m[1] as string).length : 0;
  });
  if (cmp.length === 1) {
    const [left, right] = split(e, cmp).map(dropModifiers) as [string, string];
    if (NUMBER.test(right)) return operands(left);
    if (NUMBER.test(left)) return operands(right);
    return [...operands(left), ...operands(right)];
  }
  return [e];
}

function split(e: string, at: Array<{ at: number; len: number }>): string[] {
  const parts: string[] = [];
  let from = 0;
  for (const a of at) {
    parts.push(e.slice(from, a.at).trim());
    from = a.at + a.len;
  }
  parts.push(e.slice(from).trim());
  return parts;
}

// ---- the queries ----------------------------------------------------------------------------------

interface SqlTarget {
  rawSql?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}

/** Every PromQL (dashboards, variables, rules) and SQL (panels with rawSql) text, with its operands. */
export function liveQueries(): LiveQuery[] {
  const out: LiveQuery[] = [];
  for (const file of dashboardFiles()) {
    const d = readDashboard(file);
    for (const p of allPanels(d)) {
      for (const t of (p.targets ?? []) as Array<{ expr?: string; refId?: string } & SqlTarget>) {
        const where = `${file} panel ${p.id} "${p.title}" ${t.refId}`;
        if (t.expr) out.push({ where, expr: t.expr, lang: 'promql', operands: operands(t.expr) });
        else if (t.rawSql) out.push({ where, expr: t.rawSql, lang: 'sql', operands: [t.rawSql] });
      }
    }
    for (const v of d.templating?.list ?? []) {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      if (v.type === 'query' && q) {
        const expr = q.replace(/^label_values\(([\s\S]*),\s*\w+\s*\)$/, '$1');
        out.push({ where: `${file} variable ${v.name}`, expr: q, lang: 'promql', operands: operands(expr) });
      }
    }
  }
  for (const r of ruleExpressions()) out.push({ ...r, lang: 'promql', operands: operands(r.expr) });
  return out;
}

/** A Grafana SQL panel's query as plain PostgreSQL over the last `hours` hours. */
export function plainSql(sql: string, now = new Date(), hours = 6): string {
  const to = now.toISOString();
  const from = new Date(now.getTime() - hours * 3_600_000).toISOString();
  const out = sql
    .replace(/\$__timeFilter\(\s*([^)]+?)\s*\)/g, `$1 BETWEEN '${from}'::timestamptz AND '${to}'::timestamptz`)
    .replace(/\$__timeFrom\(\)/g, `'${from}'::timestamptz`)
    .replace(/\$__timeTo\(\)/g, `'${to}'::timestamptz`)
    .replace(/\$__unixEpochFilter\(\s*([^)]+?)\s*\)/g, `$1 BETWEEN ${Math.floor(Date.parse(from) / 1000)} AND ${Math.floor(now.getTime() / 1000)}`)
    .replace(/\$__timeGroupAlias\(\s*([^,]+?)\s*,\s*'?([^)']+?)'?\s*\)/g, (_m, col: string, iv: string) => `${timeGroup(col, iv)} AS "time"`)
    .replace(/\$__timeGroup\(\s*([^,]+?)\s*,\s*'?([^)']+?)'?\s*\)/g, (_m, col: string, iv: string) => timeGroup(col, iv))
    .replace(/\$__interval\b/g, "'1 minute'");
  const left = /\$\{?\w+\}?/.exec(out);
  if (left) throw new Error(`SQL panel query uses ${left[0]}, which the live check does not know how to fill in (deploy/test/support/live-queries.ts plainSql)`);
  return out;
}

function timeGroup(col: string, interval: string): string {
  const m = /^(\d+)([smhd])$/.exec(interval.trim());
  const s = m ? Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'] : 3600;
  return `to_timestamp(floor(extract(epoch from ${col}) / ${s}) * ${s})`;
}

// ---- asking -------------------------------------------------------------------------------------

export interface Answer {
  /** Series with a numeric value (not NaN). */
  series: number;
  error?: string;
}

export async function promQuery(baseUrl: string, expr: string): Promise<Answer> {
  const body = new URLSearchParams({ query: plainPromql(expr) });
  const res = await fetch(`${baseUrl.replace(/\/$/, '')}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const json = (await res.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Array<{ value: [number, string] }> | [number, string] };
  };
  if (json.status !== 'success' || !json.data) return { series: 0, error: `${res.status} ${json.error ?? 'no data'}` };
  const r = json.data.result;
  if (json.data.resultType === 'scalar') return { series: Number.isNaN(Number((r as [number, string])[1])) ? 0 : 1 };
  return { series: (r as Array<{ value: [number, string] }>).filter((s) => !Number.isNaN(Number(s.value[1]))).length };
}

export async function sqlQuery(client: pg.Client, sql: string): Promise<Answer> {
  try {
    const r = await client.query(plainSql(sql));
    return { series: r.rowCount ?? r.rows.length };
  } catch (e) {
    return { series: 0, error: (e as Error).message };
  }
}

export interface Verdict {
  query: LiveQuery;
  operand: string;
  answer: Answer;
  listed?: ExpectedEmpty;
  /** ok: as expected; missing: no data and not listed; stale: listed as empty but has data; error: did not parse/run. */
  outcome: 'ok' | 'missing' | 'stale' | 'error';
}

/** Asks every operand once; the verdicts, in query order. */
export async function checkAll(opts: { prometheus: string; db?: pg.Client; queries?: LiveQuery[]; empty?: Map<string, ExpectedEmpty> }): Promise<Verdict[]> {
  const queries = opts.queries ?? liveQueries();
  const empty = opts.empty ?? expectedEmpty();
  const cache = new Map<string, Answer>();
  const out: Verdict[] = [];
  for (const q of queries) {
    for (const operand of q.operands) {
      const key = `${q.lang}\n${operand}`;
      let answer = cache.get(key);
      if (!answer) {
        if (q.lang === 'promql') answer = await promQuery(opts.prometheus, operand).catch((e: Error) => ({ series: 0, error: e.message }));
        else answer = opts.db ? await sqlQuery(opts.db, operand) : { series: 0, error: 'no database given' };
        cache.set(key, answer);
      }
      const listed = empty.get(operand);
      const outcome: Verdict['outcome'] = answer.error
        ? 'error'
        : answer.series > 0
          ? listed?.expect === 'empty'
            ? 'stale'
            : 'ok'
          : listed
            ? 'ok'
            : 'missing';
      out.push({ query: q, operand, answer, ...(listed ? { listed } : {}), outcome });
    }
  }
  return out;
}

export function describe(v: Verdict): string {
  const what = v.operand === v.query.expr ? v.operand : `${v.operand}   (of ${v.query.expr})`;
  switch (v.outcome) {
    case 'error':
      return `${v.query.where}: ${what}: ${v.answer.error}`;
    case 'missing':
      return `${v.query.where}: no data: ${what}`;
    case 'stale':
      return `${v.query.where}: listed as empty (${v.listed?.reason}) but returns ${v.answer.series} series: ${what}`;
    default:
      return `${v.query.where}: ${v.answer.series} series: ${what}`;
  }
}

// ---- by hand --------------------------------------------------------------------------------------
if (process.argv[1] && import.meta.filename === resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { prometheus: { type: 'string' }, database: { type: 'string' }, all: { type: 'boolean', default: false } } });
  if (!values.prometheus) {
    process.stderr.write('usage: live-queries.ts --prometheus <url> [--database <name>] [--all]\n');
    process.exit(2);
  }
  let db: pg.Client | undefined;
  if (values.database) {
    db = new pg.Client({ database: values.database, connectionTimeoutMillis: 5000 });
    await db.connect();
  }
  const verdicts = await checkAll({ prometheus: values.prometheus, ...(db ? { db } : {}) });
  await db?.end();
  for (const v of verdicts) if (values.all || v.outcome !== 'ok') process.stdout.write(`${v.outcome.padEnd(7)} ${describe(v)}\n`);
  const bad = verdicts.filter((v) => v.outcome !== 'ok').length;
  process.stdout.write(`${verdicts.length} operands of ${new Set(verdicts.map((v) => v.query)).size} queries: ${bad} not as expected\n`);
  process.exit(bad > 0 ? 1 : 0);
}
