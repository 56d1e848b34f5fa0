// Writes the demo's Prometheus config: one scrape job per service of this run (the job names of
// deploy/monitoring/prometheus/prometheus.yml, which the rules and dashboards select on) on the
// ports the demo picked, and a copy of the project's rule files whose groups are evaluated every
// DEMO_PROMETHEUS_RULE_INTERVAL (default 5s) instead of every 30 s, so the recorded series follow a
// demo in which everything happens within a minute. The expressions are the files' own.
//   node prometheus.mjs <out-dir> <rules-dir>
// Reads DEMO_{ROUTER,PROCESSOR,GATEWAY,PROMETHEUS}_PORT and DEMO_RUN from the environment.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const [out, rulesDir] = process.argv.slice(2);
if (!out || !rulesDir) {
  process.stderr.write('usage: prometheus.mjs <out-dir> <rules-dir>\n');
  process.exit(2);
}
const env = (name) => {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`demo: prometheus.mjs needs ${name}\n`);
    process.exit(1);
  }
  return v;
};
const interval = process.env.DEMO_PROMETHEUS_RULE_INTERVAL ?? '5s';

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'rules'), { recursive: true });
const ruleFiles = readdirSync(rulesDir).filter((f) => /\.ya?ml$/.test(f)).sort();
for (const f of ruleFiles) {
  const doc = parse(readFileSync(join(rulesDir, f), 'utf8'));
  for (const g of doc.groups ?? []) g.interval = interval;
  writeFileSync(join(out, 'rules', f), `# ${f} of deploy/monitoring/prometheus/rules, evaluated every ${interval} for the demo\n${stringify(doc)}`);
}

const target = (port, labels = {}) => [{ targets: [`127.0.0.1:${port}`], labels: { run: env('DEMO_RUN'), ...labels } }];
const config = {
  global: { scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: interval, external_labels: { system: 'streetwatch-demo' } },
  rule_files: ['rules/*.yml'],
  scrape_configs: [
    { job_name: 'stream-processor', static_configs: target(env('DEMO_PROCESSOR_PORT')) },
    { job_name: 'alert-router', static_configs: target(env('DEMO_ROUTER_PORT')) },
    // the demo's box, on loopback: its ops server needs no token there (a box bound elsewhere does)
    { job_name: 'edge-gateway', static_configs: target(env('DEMO_GATEWAY_PORT'), { site: 'demo-jiefang-rd' }) },
    { job_name: 'prometheus', static_configs: target(env('DEMO_PROMETHEUS_PORT')) },
  ],
};
writeFileSync(
  join(out, 'prometheus.yml'),
  `# The demo's Prometheus (examples/demo/lib/prometheus.mjs): this run's services on loopback.\n${stringify(config)}`,
);
process.stdout.write(`prometheus config ${join(out, 'prometheus.yml')}: ${ruleFiles.length} rule files, rules every ${interval}\n`);
