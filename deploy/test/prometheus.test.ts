// The Prometheus side: promtool checks the scrape config and rule files and runs the rules' unit
// tests; every dashboard query is parsed by promtool too (as a throw-away recording rule).
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dashboardFiles, dashboardQueries, MONITORING, plainPromql, readDashboard, ruleFiles } from './support/monitoring.js';
import { requireBinary, run } from './support/tools.js';

const PROM = join(MONITORING, 'prometheus');
const promtool = requireBinary('promtool', 'prometheus');

t.test('promtool accepts the scrape config and the rule files it loads', async (t) => {
  const r = await run(promtool, ['check', 'config', 'prometheus.yml'], { cwd: PROM });
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /streetwatch\.alerts\.yml/, 'the config loads the alert rules');
  t.match(r.stdout, /streetwatch\.rules\.yml/, 'the config loads the recording rules');
});

t.test('the scrape config scrapes every service on the port its config defaults to', async (t) => {
  const cfg = parse(readFileSync(join(PROM, 'prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }>; file_sd_configs?: Array<{ files: string[] }> }>;
  };
  const jobs = new Map(cfg.scrape_configs.map((j) => [j.job_name, j]));
  t.same(jobs.get('stream-processor')?.static_configs?.[0]?.targets, ['processor:9464']);
  t.same(jobs.get('alert-router')?.static_configs?.[0]?.targets, ['router:8090']);
  t.ok(jobs.get('edge-gateway')?.file_sd_configs?.[0]?.files.length, 'edge boxes come from file_sd');
  const r = await run(promtool, ['check', 'config', 'prometheus.yml'], { cwd: PROM });
  t.equal(r.code, 0);
});

t.test('promtool accepts every rule file', async (t) => {
  const files = readdirSync(join(PROM, 'rules')).map((f) => join('rules', f));
  const r = await run(promtool, ['check', 'rules', ...files], { cwd: PROM });
  t.equal(r.code, 0, r.stdout + r.stderr);
});

t.test('the rules pass their promtool unit tests', async (t) => {
  const files = readdirSync(join(PROM, 'tests')).filter((f) => f.endsWith('.yml'));
  t.ok(files.length > 0);
  const r = await run(promtool, ['test', 'rules', ...files.map((f) => join('tests', f))], { cwd: PROM });
  t.equal(r.code, 0, r.stdout + r.stderr);
});

t.test('every alert is unit-tested, has a severity, a component and a summary', async (t) => {
  const tested = new Set<string>();
  for (const f of readdirSync(join(PROM, 'tests')).filter((x) => x.endsWith('.yml'))) {
    const doc = parse(readFileSync(join(PROM, 'tests', f), 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string }> }> };
    for (const c of doc.tests) for (const a of c.alert_rule_test ?? []) tested.add(a.alertname);
  }
  const untested: string[] = [];
  for (const { file, doc } of ruleFiles()) {
    for (const g of doc.groups) {
      for (const r of g.rules) {
        if (!r.alert) continue;
        t.match(r.labels?.severity, /^(page|ticket)$/, `${file} ${r.alert} severity`);
        t.ok(r.labels?.component, `${file} ${r.alert} component`);
        t.ok(r.annotations?.summary, `${file} ${r.alert} summary`);
        if (!tested.has(r.alert)) untested.push(r.alert);
      }
    }
  }
  // Most alerts are pinned by a unit test; the rest are simple thresholds over one gauge.
  t.ok(untested.length <= 4, `untested alerts: ${untested.join(', ') || 'none'}`);
});

t.test('promtool parses every dashboard query as PromQL', async (t) => {
  const queries = dashboardFiles().flatMap((f) => dashboardQueries(f, readDashboard(f)));
  const dir = mkdtempSync(join(tmpdir(), 'sw-dash-promql-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dashboards.yml');
  writeFileSync(
    file,
    stringify({ groups: [{ name: 'dashboard-queries', rules: queries.map((q, i) => ({ record: `dashboard:query:${i}`, expr: plainPromql(q.expr) })) }] }),
  );
  const r = await run(promtool, ['check', 'rules', file]);
  // On failure promtool names the rule index; map it back to the panel.
  const bad = [...(r.stdout + r.stderr).matchAll(/dashboard:query:(\d+)/g)].map((m) => queries[Number(m[1])]?.where);
  t.equal(r.code, 0, `${r.stdout}${r.stderr}${bad.join('\n')}`);
  t.match(r.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`));
});
