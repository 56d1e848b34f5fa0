// Dashboards and rules may only read metrics the services register (or the recording rules
// define): a renamed metric in the code fails here instead of leaving an empty panel or a dead alert.
import t from 'tap';
import { exposedNames, isBuiltin, metricsInSource, namesInPromql, sourceMetrics } from './support/metrics.js';
import { dashboardFiles, dashboardQueries, readDashboard, recordedNames, ruleExpressions } from './support/monitoring.js';

const source = sourceMetrics();
const recorded = recordedNames();
const known = new Set<string>([...recorded]);
for (const [name, { kind }] of source) for (const n of exposedNames(name, kind)) known.add(n);

function unknownNames(expr: string): string[] {
  return namesInPromql(expr).filter((n) => !known.has(n) && !isBuiltin(n));
}

t.test('the source scan finds the metrics of every service, with their kinds', async (t) => {
  t.ok(source.size >= 40, `found ${source.size} metrics`);
  t.same(source.get('streetwatch_dlq_messages_total')?.kind, 'counter', 'platform helper counter(...)');
  t.same(source.get('streetwatch_edge_camera_online')?.kind, 'gauge', 'new Gauge({ name }) in edge-gateway');
  t.same(source.get('streetwatch_edge_stage_seconds')?.kind, 'histogram', 'histogram(...) over several lines');
  t.same(source.get('streetwatch_processor_consumer_lag')?.kind, 'gauge');
  t.same(source.get('streetwatch_router_delivery_seconds')?.kind, 'histogram');
  t.same(source.get('streetwatch_workorders_open')?.kind, 'gauge');
});

t.test('the source scan reads helper calls and constructors, not other strings', async (t) => {
  const text = `
    const a = counter(r, 'x_total', 'help', ['l']);
    const b = histogram(
      deps.registry,
      "y_seconds",
      'help');
    new Gauge({
      name: 'z_info',
      help: 'h',
    });
    new client.Summary<'a'>({ name: \`s_seconds\`, help: 'h' });
    const topic = { name: 'streetwatch.detections.v1' };
    log.info({ name: 'not_a_metric' });`;
  t.same([...metricsInSource(text)].sort(), [
    ['s_seconds', 'summary'],
    ['x_total', 'counter'],
    ['y_seconds', 'histogram'],
    ['z_info', 'gauge'],
  ]);
});

t.test('names are read from PromQL, leaving out functions, labels, keywords and variables', async (t) => {
  const cases: Array<[string, string[]]> = [
    ['sum by (topic) (rate(a_total{job="x", instance=~"$instance"}[$__rate_interval]))', ['a_total']],
    ['histogram_quantile(0.95, sum by (le, type) (rate(b_seconds_bucket[5m])))', ['b_seconds_bucket']],
    ['count(c == 0) or vector(0)', ['c']],
    ['time() - max without (task) (d_seconds offset 1h) / 1e3', ['d_seconds']],
    ['e / on (instance) group_left (site) f', ['e', 'f']],
    ['level:g_total:rate5m{label="by (x) y"} > bool 2', ['level:g_total:rate5m']],
    ['label_values(up{job="edge-gateway"}, instance)', ['up']],
    ['sum(h) unless ignoring (le) i', ['h', 'i']],
  ];
  for (const [expr, names] of cases) t.same(namesInPromql(expr).sort(), names.sort(), expr);
});

t.test('every recording and alerting rule reads only existing metrics', async (t) => {
  t.same(unknownNames('sum(rate(streetwatch_no_such_total[5m])) / streetwatch_router_delivery_seconds_count'), ['streetwatch_no_such_total'], 'the check itself catches a missing name');
  t.same(unknownNames('streetwatch_workorders_open_bucket'), ['streetwatch_workorders_open_bucket'], 'histogram suffixes only on histograms');
  const exprs = ruleExpressions();
  t.ok(exprs.length >= 20, `${exprs.length} rule expressions`);
  for (const { where, expr } of exprs) t.same(unknownNames(expr), [], where);
});

t.test('every dashboard query reads only existing metrics and recording rules', async (t) => {
  let n = 0;
  for (const file of dashboardFiles()) {
    for (const { where, expr } of dashboardQueries(file, readDashboard(file))) {
      n++;
      t.same(unknownNames(expr), [], where);
    }
  }
  t.ok(n >= 80, `${n} dashboard queries`);
});

t.test('every service metric is shown on a dashboard or watched by a rule', async (t) => {
  const read = new Set<string>();
  for (const { expr } of ruleExpressions()) for (const n of namesInPromql(expr)) read.add(n);
  for (const file of dashboardFiles()) for (const { expr } of dashboardQueries(file, readDashboard(file))) for (const n of namesInPromql(expr)) read.add(n);
  // Not a failure (a new metric should not break the build), but listed so a dashboard follows.
  const unseen = [...source].filter(([name, { kind }]) => !exposedNames(name, kind).some((n) => read.has(n))).map(([name, { file }]) => `${name} (${file})`);
  if (unseen.length > 0) t.comment(`metrics on no dashboard and in no rule: ${unseen.join(', ')}`);
  t.ok(unseen.length <= source.size / 4, `at most a quarter of the metrics are unseen (${unseen.length} of ${source.size})`);
});
