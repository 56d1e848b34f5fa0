// docker-compose files (cloud side and edge box): `docker-compose config` (Debian docker-compose
// 1.29, no engine needed) accepts them, secrets must come from the environment, and what they
// mount and build exists in the repository and agrees with the monitoring config.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { REPO } from './support/metrics.js';
import { requireBinary, run } from './support/tools.js';

const COMPOSE = join(REPO, 'deploy', 'compose');
const FILES = { cloud: join(COMPOSE, 'docker-compose.yml'), edge: join(COMPOSE, 'edge', 'docker-compose.yml') };
const dockerCompose = requireBinary('docker-compose', 'docker-compose');

/** The variables .env.example lists: its values, and a dummy for each one left empty (the secrets). */
function exampleEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(COMPOSE, '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2] || `test-${m[1]!.toLowerCase()}`;
  }
  return env;
}

function compose(file: string, args: string[], env: Record<string, string>) {
  // A clean environment: only PATH/HOME plus the given variables (no stray STREETWATCH_* from the shell).
  return run(dockerCompose, ['-f', file, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
    timeoutMs: 30_000,
  });
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  volumes?: Array<string | { type: string; source: string; target: string }>;
  ports?: unknown[];
  expose?: string[];
}
interface ComposeDoc {
  services: Record<string, Service>;
}

const resolvedDocs = new Map<string, Promise<ComposeDoc>>();
/** `docker-compose config` output (variables substituted, paths absolute), once per file. */
function resolved(file: string): Promise<ComposeDoc> {
  let p = resolvedDocs.get(file);
  if (!p) {
    p = compose(file, ['config'], exampleEnv()).then((r) => {
      if (r.code !== 0) throw new Error(r.stderr);
      return parse(r.stdout) as ComposeDoc;
    });
    resolvedDocs.set(file, p);
  }
  return p;
}

function binds(s: Service): Array<{ source: string; target: string }> {
  return (s.volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      return source && target && (source.startsWith('/') || source.startsWith('.')) ? [{ source, target }] : [];
    }
    return v.type === 'bind' ? [{ source: v.source, target: v.target }] : [];
  });
}

for (const [name, file] of Object.entries(FILES)) {
  t.test(`docker-compose config -q accepts the ${name} file`, async (t) => {
    const r = await compose(file, ['config', '-q'], exampleEnv());
    t.equal(r.code, 0, r.stderr);
  });
}

t.test('the cloud file refuses to start without its secrets instead of using defaults', async (t) => {
  const env = exampleEnv();
  delete env.STREETWATCH_PG_PASSWORD;
  const r = await compose(FILES.cloud, ['config', '-q'], env);
  t.not(r.code, 0);
  t.match(r.stderr, /STREETWATCH_PG_PASSWORD/);
  const text = readFileSync(FILES.cloud, 'utf8');
  for (const m of text.matchAll(/^\s*([A-Z_]*(?:PASSWORD|SECRET|TOKEN|_SIGN)):\s*(.*)$/gm)) {
    t.match(m[2], /^\$\{[A-Z_]+:\?/, `${m[1]} comes from the environment, required`);
  }
});

t.test('the cloud file runs kafka, timescaledb, processor, router, prometheus and grafana', async (t) => {
  const doc = await resolved(FILES.cloud);
  const s = doc.services;
  t.match(s.kafka?.image, /^apache\/kafka:/);
  t.match(s.postgres?.image, /^timescale\/timescaledb:.*pg15/);
  for (const svc of ['processor', 'router', 'prometheus', 'grafana', 'setup-processor', 'setup-router']) t.ok(s[svc], svc);
  t.equal(s.processor?.environment?.STREETWATCH_KAFKA_BROKERS, 'kafka:9092');
  t.equal(s.router?.environment?.PGHOST, 'postgres');
});

t.test('everything the compose files build or mount from the repository exists', async (t) => {
  for (const [name, file] of Object.entries(FILES)) {
    const doc = await resolved(file);
    for (const [svc, s] of Object.entries(doc.services)) {
      if (s.build) t.ok(existsSync(join(s.build.context, s.build.dockerfile)), `${name} ${svc}: ${s.build.dockerfile}`);
      for (const b of binds(s)) {
        const source = isAbsolute(b.source) ? b.source : resolve(COMPOSE, b.source);
        // The edge box's own gateway.yaml and the user token folder are the operator's, not the repo's.
        // Kafka's certificates and passwords come from make-secrets.sh on the host (never in git).
        if (/gateway\.yaml$|secrets\/users$|secrets(\/kafka)?(\/[^/]+)?$/.test(source)) continue;
        t.ok(existsSync(source), `${name} ${svc}: ${source}`);
      }
    }
  }
});

t.test('Prometheus scrapes the compose services on their ports, Grafana loads the provisioned dashboards', async (t) => {
  const doc = await resolved(FILES.cloud);
  const prom = parse(readFileSync(join(REPO, 'deploy/monitoring/prometheus/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
  };
  for (const job of ['stream-processor', 'alert-router']) {
    const target = prom.scrape_configs.find((j) => j.job_name === job)?.static_configs?.[0]?.targets[0] ?? '';
    const [host, port] = target.split(':');
    const svc = doc.services[host ?? ''];
    t.ok(svc, `${job}: compose service ${host}`);
    const ports = JSON.stringify([...(svc?.expose ?? []), ...(svc?.ports ?? [])]);
    t.ok(ports.includes(port ?? '-'), `${job}: ${host} exposes ${port}`);
  }
  const provider = parse(readFileSync(join(REPO, 'deploy/monitoring/grafana/provisioning/dashboards/streetwatch.yml'), 'utf8')) as {
    providers: Array<{ options: { path: string } }>;
  };
  const mounts = binds(doc.services.grafana!);
  const dash = mounts.find((m) => m.target === provider.providers[0]?.options.path);
  t.ok(dash && resolve(COMPOSE, dash.source) === join(REPO, 'deploy/monitoring/grafana/dashboards'), 'dashboards folder mounted where the provider reads');
  t.ok(mounts.some((m) => m.target === '/etc/grafana/provisioning'), 'provisioning mounted');
  t.equal(doc.services.grafana?.environment?.STREETWATCH_PROMETHEUS_URL, 'http://prometheus:9090', 'the datasource URL the provisioning expands');
});
