// Grafana: the provisioned dashboards are the JSON the typed sources (monitoring/grafana/src,
// checked by tsc against @grafana/schema) generate; each parses, has unique panel ids, sane grid
// positions and reads only the provisioned Prometheus datasource.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DASHBOARDS, DATASOURCE_UID, dashboardJson } from '../monitoring/grafana/src/index.js';
import { allPanels, dashboardFiles, DASHBOARD_DIR, MONITORING, readDashboard } from './support/monitoring.js';

const provisioned = parse(readFileSync(join(MONITORING, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
  datasources: Array<{ uid: string; type: string; url: string }>;
};

t.test('the provisioned datasource is the Prometheus uid the dashboards use', async (t) => {
  t.same(
    provisioned.datasources.map((d) => [d.uid, d.type]),
    [[DATASOURCE_UID, 'prometheus']],
  );
});

t.test('every dashboard JSON is what its TypeScript source generates (run `npm run -w deploy dashboards`)', async (t) => {
  t.same(dashboardFiles(), Object.keys(DASHBOARDS).map((n) => `${n}.json`).sort(), 'one JSON per source dashboard, no strays');
  for (const [name, d] of Object.entries(DASHBOARDS)) {
    t.equal(readFileSync(join(DASHBOARD_DIR, `${name}.json`), 'utf8'), dashboardJson(d), `${name}.json is up to date`);
  }
});

t.test('there is a dashboard per service and a pipeline overview', async (t) => {
  const titles = dashboardFiles().map((f) => readDashboard(f).title);
  for (const want of ['Edge gateway', 'Stream processor', 'Alert router', 'Pipeline overview']) {
    t.ok(titles.some((x) => x.endsWith(want)), want);
  }
  const uids = dashboardFiles().map((f) => readDashboard(f).uid);
  t.equal(new Set(uids).size, uids.length, 'dashboard uids are unique');
});

t.test('the overview shows every stage the ops team asked for', async (t) => {
  const overview = readDashboard('pipeline-overview.json');
  const text = JSON.stringify(overview);
  for (const [what, needle] of [
    ['events/s per stage', 'stage:streetwatch_processor_events:rate5m'],
    ['consumer lag', 'topic:streetwatch_processor_consumer_lag:sum'],
    ['dead letters', 'service_topic_code:streetwatch_dlq_messages:rate5m'],
    ['edge outbox depth', 'streetwatch_edge_outbox_depth'],
    ['camera online map', 'streetwatch_edge_camera_online'],
    ['alert to delivery latency', 'type:streetwatch_router_delivery_seconds:p95_5m'],
    ['work orders open', 'department:streetwatch_workorders_open:sum'],
    ['time to close', 'department:streetwatch_workorder_time_to_close_seconds:p50_1h'],
  ] as const) {
    t.ok(text.includes(needle), what);
  }
});

for (const file of dashboardFiles()) {
  t.test(`${file}: parses, unique panel ids, grid inside 24 columns without overlaps, one datasource`, async (t) => {
    const d = readDashboard(file);
    const panels = allPanels(d);
    t.ok(panels.length >= 8, `${panels.length} panels`);
    const ids = panels.map((p) => p.id);
    t.ok(ids.every((id) => Number.isInteger(id)), 'every panel has an id');
    t.equal(new Set(ids).size, ids.length, 'panel ids are unique');

    const cells = new Map<string, number | undefined>();
    for (const p of panels) {
      const g = p.gridPos;
      if (!g) {
        t.fail(`panel ${p.id} has no gridPos`);
        continue;
      }
      t.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, `panel ${p.id} fits the grid`);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          const k = `${x},${y}`;
          if (cells.has(k)) t.fail(`panel ${p.id} overlaps panel ${cells.get(k)} at ${k}`);
          cells.set(k, p.id);
        }
      }
      if (p.type === 'row') continue;
      t.equal(p.datasource?.uid, DATASOURCE_UID, `panel ${p.id} datasource`);
      t.ok((p.targets ?? []).length > 0, `panel ${p.id} has queries`);
      for (const q of p.targets ?? []) t.equal(q.datasource?.uid, DATASOURCE_UID, `panel ${p.id} query ${q.refId} datasource`);
    }
    for (const v of d.templating?.list ?? []) t.equal(v.datasource?.uid, DATASOURCE_UID, `variable ${v.name} datasource`);
  });
}
