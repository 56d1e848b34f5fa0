// The Kubernetes tree (k8s/): every kustomization renders with real kustomize (the pinned
// sigs.k8s.io/kustomize/kustomize/v5 that deploy/scripts/kustomize.sh builds from the Go module
// proxy and caches), every object validates against the Kubernetes schemas
// (kubernetes-models), and the deployment rules hold: probes and resources on every container,
// secrets only by reference, services/HPAs/PDBs pointing at real workloads, configs that the
// services themselves accept (--validate-config).
import { isIP } from 'node:net';
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { Deployment, StatefulSet, DaemonSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { execFileSync } from 'node:child_process';
import { containersOf, kustomizationDirs, kustomizeBinary, podSpec, readYamlDocs, render, type K8sObject } from './support/kustomize.js';
import { REPO } from './support/metrics.js';
import { run } from './support/tools.js';
import { kafkaUserNames } from '@streetwatch/schemas';

const K8S = join(REPO, 'k8s');

/** The departments of the cloud router config (whose department principals the KafkaUsers hold). */
function routerDepartments(): string[] {
  return Object.keys((parse(readFileSync(join(K8S, 'base/config/router.yaml'), 'utf8')) as { departments: Record<string, unknown> }).departments);
}

/** Strimzi's KafkaUser (no model package here): the fields this tree uses, checked by shape. */
class StrimziKafkaUser {
  constructor(private readonly o: { metadata?: { labels?: Record<string, string> }; spec?: { authentication?: { type?: string }; authorization?: { type?: string; acls?: unknown[] } } }) {}
  validate(): void {
    if (!this.o.metadata?.labels?.['strimzi.io/cluster']) throw new Error('KafkaUser without the strimzi.io/cluster label');
    if (this.o.spec?.authentication?.type !== 'scram-sha-512') throw new Error('KafkaUser authentication must be scram-sha-512');
    const z = this.o.spec.authorization;
    if (z !== undefined && (z.type !== 'simple' || !Array.isArray(z.acls))) throw new Error('KafkaUser authorization must be simple with acls');
  }
}
const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);
const MODELS: Record<string, new (o: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/DaemonSet': DaemonSet,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'batch/v1/Job': Job,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'kafka.strimzi.io/v1beta2/KafkaUser': StrimziKafkaUser,
};
/** Secrets the manifests refer to; each is created out of band (deploy/README.md lists them). */
const EXTERNAL_SECRETS = new Set([
  'streetwatch-postgres',
  'streetwatch-router-secrets',
  'streetwatch-router-users',
  'streetwatch-console-tls',
  'edge-gateway-config',
  'edge-camera-passwords',
  'edge-kafka',
  'edge-ops-token',
  'edge-evidence-credentials',
  'edge-live-token',
  // Strimzi: the cluster CA, and one Secret per KafkaUser of k8s/base/kafka/users.yaml (same name).
  'kafka-cluster-ca-cert',
  ...kafkaUserNames(routerDepartments()),
]);

const trees = kustomizationDirs(K8S).map((dir) => ({ name: relative(K8S, dir), dir }));
const rendered = new Map(trees.map(({ name, dir }) => [name, render(dir)]));

type Container = Record<string, unknown> & {
  name: string;
  image?: string;
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: Record<string, { name?: string }> }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
};

function find(objs: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objs.find((o) => o.kind === kind && o.metadata.name === name);
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function podLabels(o: K8sObject): Record<string, string> | undefined {
  return (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels;
}

t.test('the tree has a base, staging and production overlays and the edge overlay', async (t) => {
  t.same(
    trees.map((x) => x.name),
    ['base', 'overlays/edge', 'overlays/production', 'overlays/staging'],
  );
});

t.test('the renderer is real kustomize, the version deploy/scripts/kustomize.sh pins', async (t) => {
  const pinned = /^KUSTOMIZE_VERSION=(\S+)$/m.exec(readFileSync(join(REPO, 'deploy/scripts/kustomize.sh'), 'utf8'))?.[1];
  t.ok(pinned);
  t.equal(execFileSync(kustomizeBinary(), ['version'], { encoding: 'utf8' }).trim(), pinned);
});

t.test('overlays apply: merged generator literals, replicas, image tags and the resources patch', async (t) => {
  const prod = rendered.get('overlays/production')!;
  const stack = prod.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('streetwatch-stack-'));
  const data = stack?.data as Record<string, string>;
  t.equal(data.PGUSER, 'streetwatch', 'base literal kept');
  t.equal(data.PGHOST, 'timescaledb.db.svc.cluster.local', 'overlay literal merged over the base');
  const d = find(prod, 'Deployment', 'stream-processor')!;
  t.match((containersOf(d)[0] as Container).image, /^streetwatch\/stream-processor:0\.1\.0$/);
  const cm = ((podSpec(d)?.containers?.[0] as Container).envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
  t.ok(cm.includes(stack?.metadata.name), `the Deployment refers to the hash-suffixed ${stack?.metadata.name}`);
  t.not(rendered.get('overlays/staging')!.find((o) => o.metadata.name.startsWith('streetwatch-stack-'))?.metadata.name, stack?.metadata.name, 'different content, different name');
});

for (const { name } of trees) {
  const objs = rendered.get(name)!;

  t.test(`${name}: every object validates against the Kubernetes schema`, async (t) => {
    t.ok(objs.length > 0);
    for (const o of objs) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      if (!Model) {
        t.fail(`${o.apiVersion} ${o.kind} ${o.metadata.name}: no schema model in the test (add it to MODELS)`);
        continue;
      }
      t.doesNotThrow(() => new Model(o as never).validate(), `${o.kind}/${o.metadata.name}`);
    }
    const ids = objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    t.equal(new Set(ids).size, ids.length, 'no duplicate objects');
  });

  t.test(`${name}: long-running containers have /healthz + /readyz probes; every container has resources`, async (t) => {
    for (const o of objs) {
      if (!podSpec(o)) continue;
      for (const c of containersOf(o) as Container[]) {
        const where = `${o.kind}/${o.metadata.name} ${c.name}`;
        t.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${where}: cpu and memory requests`);
        t.ok(c.resources?.limits?.memory, `${where}: a memory limit`);
        t.equal((c.securityContext as { allowPrivilegeEscalation?: boolean } | undefined)?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`);
        if (!WORKLOADS.has(o.kind)) continue;
        const portNames = new Set((c.ports ?? []).flatMap((p) => [p.name, p.containerPort]));
        t.equal(c.livenessProbe?.httpGet?.path, '/healthz', `${where}: liveness on /healthz`);
        t.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${where}: readiness on /readyz`);
        for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
          if (p?.httpGet) t.ok(portNames.has(p.httpGet.port), `${where}: probe port ${p.httpGet.port} is a container port`);
        }
      }
      const pod = podSpec(o) as { securityContext?: { runAsNonRoot?: boolean } };
      t.equal(pod.securityContext?.runAsNonRoot, true, `${o.kind}/${o.metadata.name}: runs as non-root`);
    }
  });

  t.test(`${name}: secrets are only referenced, never written into the manifests`, async (t) => {
    t.same(objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name), [], 'no Secret objects');
    for (const o of objs) {
      for (const c of containersOf(o) as Container[]) {
        for (const e of c.env ?? []) {
          if (/_FILE$/.test(e.name) && /PASSWORD|SECRET|TOKEN|KEY/i.test(e.name)) {
            // A secret named by its file (the secret-reference convention): the file must be in a Secret volume.
            const spec = podSpec(o) as { volumes?: Array<{ name: string; secret?: unknown }> } | undefined;
            const mount = (c.volumeMounts ?? []).find((m) => (e.value ?? '').startsWith(`${m.mountPath}/`));
            t.ok(mount && spec?.volumes?.find((v) => v.name === mount.name)?.secret, `${o.metadata.name} ${c.name} ${e.name} is a file of a Secret volume`);
          } else if (/PASSWORD|SECRET|TOKEN|KEY/i.test(e.name)) t.ok(e.valueFrom?.secretKeyRef, `${o.metadata.name} ${c.name} ${e.name} comes from a Secret`);
          if (e.valueFrom?.secretKeyRef) t.ok(EXTERNAL_SECRETS.has(e.valueFrom.secretKeyRef.name ?? ''), `known Secret ${e.valueFrom.secretKeyRef.name}`);
        }
        for (const f of c.envFrom ?? []) if (f.secretRef) t.ok(EXTERNAL_SECRETS.has(f.secretRef.name), `known Secret ${f.secretRef.name}`);
      }
      for (const v of (podSpec(o)?.volumes ?? []) as Array<{ secret?: { secretName: string } }>) {
        if (v.secret) t.ok(EXTERNAL_SECRETS.has(v.secret.secretName), `known Secret ${v.secret.secretName}`);
      }
      for (const tls of ((o.spec as { tls?: Array<{ secretName: string }> } | undefined)?.tls ?? [])) t.ok(EXTERNAL_SECRETS.has(tls.secretName), `known Secret ${tls.secretName}`);
      if (o.kind === 'ConfigMap') {
        for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) {
          t.notMatch(`${k}=${v}`, /(PASSWORD|SECRET|TOKEN)=\S/i, `ConfigMap ${o.metadata.name} ${k} holds no secret value`);
        }
      }
    }
  });

  t.test(`${name}: references resolve (ConfigMaps, Services, HPAs, PDBs, scrape annotations, config mounts)`, async (t) => {
    for (const o of objs) {
      const spec = podSpec(o);
      if (spec) {
        for (const v of (spec.volumes ?? []) as Array<{ configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }>) {
          if (v.configMap) t.ok(find(objs, 'ConfigMap', v.configMap.name), `${o.metadata.name}: ConfigMap ${v.configMap.name} exists`);
          if (v.persistentVolumeClaim) t.ok(find(objs, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName), `${o.metadata.name}: PVC exists`);
        }
        for (const c of containersOf(o) as Container[]) {
          for (const f of c.envFrom ?? []) if (f.configMapRef) t.ok(find(objs, 'ConfigMap', f.configMapRef.name), `${c.name}: ConfigMap ${f.configMapRef.name} exists`);
          // --config /etc/streetwatch/x.yaml is a key of the volume mounted there.
          const i = (c.args ?? []).indexOf('--config');
          if (i >= 0) {
            const file = c.args![i + 1]!;
            const mount = (c.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath}/`));
            t.ok(mount, `${c.name}: ${file} is on a mounted volume`);
            const vol = (spec.volumes ?? []).find((v) => v.name === mount?.name) as { configMap?: { name: string }; secret?: unknown } | undefined;
            if (vol?.configMap) {
              const cm = find(objs, 'ConfigMap', vol.configMap.name);
              t.ok((cm?.data as Record<string, string> | undefined)?.[file.split('/').pop()!], `${c.name}: ${file} is a key of ${vol.configMap.name}`);
            } else t.ok(vol?.secret, `${c.name}: ${file} comes from a ConfigMap or a Secret`);
          }
        }
        const ann = (o.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata?.annotations;
        if (ann?.['prometheus.io/scrape'] === 'true') {
          const ports = (containersOf(o) as Container[]).flatMap((c) => (c.ports ?? []).map((p) => String(p.containerPort)));
          t.ok(ports.includes(ann['prometheus.io/port'] ?? ''), `${o.metadata.name}: scrape port ${ann['prometheus.io/port']} is a container port`);
        }
      }
      if (o.kind === 'Service') {
        const s = o.spec as { selector: Record<string, string>; ports: Array<{ targetPort: string | number }> };
        const targets = objs.filter((w) => podSpec(w) && matches(s.selector, podLabels(w)));
        t.equal(targets.length, 1, `Service ${o.metadata.name} selects one workload`);
        const names = targets.flatMap((w) => (containersOf(w) as Container[]).flatMap((c) => (c.ports ?? []).flatMap((p) => [p.name, p.containerPort])));
        for (const p of s.ports) t.ok(names.includes(p.targetPort), `Service ${o.metadata.name} targetPort ${p.targetPort} exists`);
      }
      if (o.kind === 'HorizontalPodAutoscaler') {
        const ref = (o.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
        t.ok(find(objs, ref.kind, ref.name), `HPA ${o.metadata.name} scales an existing ${ref.kind}`);
      }
      if (o.kind === 'PodDisruptionBudget') {
        const sel = (o.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
        t.ok(objs.some((w) => WORKLOADS.has(w.kind) && matches(sel, podLabels(w))), `PDB ${o.metadata.name} selects a workload`);
      }
      if (o.kind === 'Ingress') {
        for (const r of (o.spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }> }).rules) {
          for (const p of r.http.paths) t.ok(find(objs, 'Service', p.backend.service.name), `Ingress backend ${p.backend.service.name} exists`);
        }
      }
    }
  });
}

t.test('the cloud overlays run processor and router with an HPA and a PDB each, and the setup Job', async (t) => {
  for (const name of ['overlays/staging', 'overlays/production']) {
    const objs = rendered.get(name)!;
    for (const app of ['stream-processor', 'alert-router']) {
      t.ok(find(objs, 'Deployment', app), `${name}: Deployment ${app}`);
      t.ok(find(objs, 'HorizontalPodAutoscaler', app), `${name}: HPA ${app}`);
      t.ok(find(objs, 'PodDisruptionBudget', app), `${name}: PDB ${app}`);
    }
    const job = find(objs, 'Job', 'streetwatch-setup');
    t.same(
      containersOf(job!).map((c) => (c as Container).args),
      [['--component', 'stream-processor'], ['--component', 'alert-router', '--config', '/etc/streetwatch/router.yaml']],
      `${name}: the Job provisions for both services`,
    );
    const ns = objs.map((o) => o.metadata.namespace);
    t.ok(ns.every((n) => n && n === ns[0]), `${name}: one namespace for every object`);
  }
  const prod = rendered.get('overlays/production')!;
  for (const o of prod) for (const c of containersOf(o) as Container[]) t.notMatch(c.image, /:latest$|^[^:]+$/, `production pins ${c.image}`);
  const stack = prod.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('streetwatch-stack-'));
  t.equal((stack?.data as Record<string, string>).STREETWATCH_TOPIC_REPLICATION, '3', 'production topics are replicated 3 times');
  t.equal((find(prod, 'Deployment', 'stream-processor')?.spec as { replicas: number }).replicas, 3);
});

t.test('the edge overlay runs one gateway per box on a persistent outbox volume', async (t) => {
  const objs = rendered.get('overlays/edge')!;
  const d = find(objs, 'Deployment', 'edge-gateway')!;
  const spec = d.spec as { replicas: number; strategy: { type: string } };
  t.equal(spec.replicas, 1);
  t.equal(spec.strategy.type, 'Recreate', 'never two writers of one outbox');
  const c = containersOf(d)[0] as Container;
  t.ok(c.volumeMounts?.some((m) => m.mountPath === '/var/lib/streetwatch' && m.name === 'data'), 'outbox folder mounted');
  t.ok(find(objs, 'PersistentVolumeClaim', 'edge-gateway-data'));
});

// The configs the manifests carry, checked by the services' own --validate-config (built dist).
const CONFIGS: Array<{ service: string; main: string; file: () => string; env?: Record<string, string> }> = [
  { service: 'stream-processor', main: 'stream-processor/dist/main.js', file: () => cmData('base', 'streetwatch-processor', 'processor.yaml') },
  { service: 'alert-router', main: 'alert-router/dist/main.js', file: () => cmData('base', 'streetwatch-router', 'router.yaml') },
  { service: 'edge-gateway', main: 'edge-gateway/dist/main.js', file: () => readFileSync(join(K8S, 'overlays/edge/gateway.example.yaml'), 'utf8'),
    // What the Secrets edge-camera-passwords, edge-evidence-credentials and edge-ops-token give the container (envFrom).
    env: {
      CAM_01_PASSWORD: 'example-1',
      CAM_02_PASSWORD: 'example-2',
      SW_EVIDENCE_ACCESS_KEY_ID: 'LTAI-example',
      SW_EVIDENCE_SECRET_ACCESS_KEY: 'example-secret',
      STREETWATCH_EDGE_OPS_TOKEN: 'example-ops-token-0123456789',
      STREETWATCH_LIVE_TOKEN: 'example-live-token-0123456789',
    },
  },
];

function cmData(tree: string, prefix: string, key: string): string {
  const cm = rendered.get(tree)!.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${prefix}-`));
  return (cm?.data as Record<string, string>)[key]!;
}

for (const c of CONFIGS) {
  t.test(`${c.service} accepts the config the deployment gives it (--validate-config)`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-k8s-config-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, `${c.service}.yaml`);
    writeFileSync(file, c.file());
    const r = await run(process.execPath, [join(REPO, c.main), '--validate-config', file], { timeoutMs: 30_000, env: { ...process.env, ...c.env } });
    t.equal(r.code, 0, `${r.stdout}${r.stderr}(needs a build: npx tsc -b)`);
  });
}

t.test('the ports in the service configs are the ports the manifests expose and scrape', async (t) => {
  const processor = parse(cmData('base', 'streetwatch-processor', 'processor.yaml')) as { processor: { ops?: { port?: number } } };
  const router = parse(cmData('base', 'streetwatch-router', 'router.yaml')) as { http: { port: number; host: string } };
  const gateway = parse(readFileSync(join(K8S, 'overlays/edge/gateway.example.yaml'), 'utf8')) as { http: { port: number; host: string } };
  const port = (tree: string, name: string) => ((containersOf(find(rendered.get(tree)!, 'Deployment', name)!)[0] as Container).ports ?? [])[0]?.containerPort;
  t.equal(port('base', 'stream-processor'), processor.processor.ops?.port ?? 9464);
  t.equal(port('base', 'alert-router'), router.http.port);
  t.equal(router.http.host, '0.0.0.0', 'the router listens beyond loopback in a pod');
  t.equal(port('overlays/edge', 'edge-gateway'), gateway.http.port);
  t.equal(gateway.http.host, '0.0.0.0');
});

/** Does an Ingress path (pathType Prefix: whole path elements; Exact) route `url`? */
function routes(path: { path: string; pathType: string }, url: string): boolean {
  if (path.pathType === 'Exact') return url === path.path;
  const p = path.path.replace(/\/+$/, '');
  return p === '' || url === p || url.startsWith(`${p}/`);
}

type IngressPath = { path: string; pathType: string; backend: { service: { name: string; port: { name?: string; number?: number } } } };
/** Every path of every Ingress of a tree (one host here). */
function ingressPaths(objs: K8sObject[]): IngressPath[] {
  return objs.filter((o) => o.kind === 'Ingress').flatMap((o) => (o.spec as { rules: Array<{ http: { paths: IngressPath[] } }> }).rules.flatMap((r) => r.http.paths));
}
/** The Service a request for `url` reaches: Exact first, then the longest matching Prefix (the Ingress rule). */
function backendFor(paths: IngressPath[], url: string): IngressPath | undefined {
  const exact = paths.find((p) => p.pathType === 'Exact' && p.path === url);
  if (exact) return exact;
  return paths.filter((p) => p.pathType !== 'Exact' && routes(p, url)).sort((a, b) => b.path.length - a.path.length)[0];
}

t.test('the production ingress routes only the console, the screen, /api and the live view: /metrics, /openapi.json and the probes stay inside', async (t) => {
  const paths = ingressPaths(rendered.get('overlays/production')!);
  const routed = (url: string) => paths.some((p) => routes(p, url));
  for (const url of [
    '/console', '/console/app.js', '/console/app.css', '/console/sw.js', '/console/manifest.webmanifest', '/screen', '/screen/screen.js',
    '/api/me', '/api/work-orders/wo-1/sign', '/api/stream', '/api/silences', '/api/screen/stream',
    '/live/gateway', '/live/ws/cam-03', '/api/live/cameras', '/api/live/cameras/cam-03/ticket',
  ]) t.ok(routed(url), `${url} is routed`);
  for (const url of ['/metrics', '/openapi.json', '/healthz', '/readyz', '/', '/apix', '/documentation', '/screens', '/lives']) t.notOk(routed(url), `${url} is not routed`);
});

t.test('production live view: /live/ and /api/live reach the one router-live pod (WebSocket timeouts), everything else the alert-router replicas', async (t) => {
  const prod = rendered.get('overlays/production')!;
  const paths = ingressPaths(prod);
  for (const url of ['/live/gateway', '/live/ws/cam-03', '/api/live/cameras', '/api/live/cameras/cam-03/ticket']) t.equal(backendFor(paths, url)?.backend.service.name, 'router-live', `${url} -> router-live`);
  for (const url of ['/console', '/screen', '/api/me', '/api/stream', '/api/work-orders/wo-1/sign', '/api/livestock']) t.equal(backendFor(paths, url)?.backend.service.name, 'alert-router', `${url} -> alert-router`);

  // The backend port is the Service's, whose target is the container port the router listens on.
  const svc = find(prod, 'Service', 'router-live')!;
  const svcPorts = (svc.spec as { ports: Array<{ name: string; port: number; targetPort: string }> }).ports;
  const port = backendFor(paths, '/live/gateway')!.backend.service.port;
  const sp = svcPorts.find((p) => (port.name !== undefined ? p.name === port.name : p.port === port.number));
  t.ok(sp, `the ingress names a port of Service router-live (${JSON.stringify(port)})`);
  const live = find(prod, 'Deployment', 'router-live')!;
  const c = containersOf(live)[0] as Container;
  const routerYaml = parse(cmData('overlays/production', 'streetwatch-router', 'router.yaml')) as { http: { port: number }; live?: { serve: string; signingKeyEnv?: string; gateways: Array<{ id: string; tokenSha256?: string; tokenSha256Env?: string }>; cameras: unknown[] } };
  t.equal(c.ports?.find((p) => p.name === sp?.targetPort)?.containerPort, routerYaml.http.port, 'Service router-live targets the port router.yaml listens on');
  t.match(podLabels(live), (svc.spec as { selector: Record<string, string> }).selector, 'Service router-live selects the router-live pods');
  const ing = find(prod, 'Ingress', 'router-live')!;
  for (const k of ['proxy-read-timeout', 'proxy-send-timeout']) t.ok(Number(ing.metadata.annotations?.[`nginx.ingress.kubernetes.io/${k}`]) >= 3600, `${k} >= 1 h (a box's link lives for days; the default 60 s would cut idle viewers)`);
  t.notOk(find(prod, 'Ingress', 'alert-router')?.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-read-timeout'], 'the long timeouts stay on the live paths');

  // One pod holds the boxes' links: never two, not even during a rollout; no HPA or PDB scales or pins it.
  const spec = live.spec as { replicas: number; strategy: { type: string } };
  t.equal(spec.replicas, 1, 'router-live: 1 replica');
  t.equal(spec.strategy.type, 'Recreate', 'router-live: Recreate (two pods never hold links at once)');
  t.notOk(prod.some((o) => o.kind === 'HorizontalPodAutoscaler' && (o.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name === 'router-live'), 'no HPA on router-live');
  t.notOk(prod.some((o) => o.kind === 'PodDisruptionBudget' && matches((o.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, podLabels(live))), 'no PDB pins the single pod (node drains stay possible)');
  t.equal((find(prod, 'Deployment', 'alert-router')?.spec as { replicas: number }).replicas, 2, 'the alert work on 2 replicas');

  // Same image and config; the role from STREETWATCH_LIVE_SERVE: only there, no on the replicas.
  const envOf = (d: K8sObject, name: string) => ((containersOf(d)[0] as Container).env ?? []).find((e) => e.name === name)?.value;
  const replicas = find(prod, 'Deployment', 'alert-router')!;
  t.equal(envOf(live, 'STREETWATCH_LIVE_SERVE'), 'only', 'router-live serves the live view only');
  t.equal(envOf(replicas, 'STREETWATCH_LIVE_SERVE'), 'no', 'the alert-router replicas leave it to router-live');
  t.equal(c.image, (containersOf(replicas)[0] as Container).image, 'the same router image');
  const configMapOf = (d: K8sObject) => ((podSpec(d)?.volumes ?? []) as Array<{ name: string; configMap?: { name: string } }>).find((v) => v.name === 'config')?.configMap?.name;
  t.equal(configMapOf(live), configMapOf(replicas), 'the same router.yaml ConfigMap');
  t.ok(c.args?.join(' ').includes('--config /etc/streetwatch/router.yaml') && c.volumeMounts?.some((m) => m.name === 'config' && m.mountPath === '/etc/streetwatch'), 'router-live reads router.yaml from that ConfigMap');

  // The live section of the config it mounts, its secrets by reference, provided by a Secret it reads.
  const liveCfg = routerYaml.live;
  t.ok(liveCfg && liveCfg.gateways.length > 0 && liveCfg.cameras.length > 0, 'router.yaml has a live section with gateways and cameras');
  const refs = [liveCfg?.signingKeyEnv, ...(liveCfg?.gateways ?? []).map((g) => g.tokenSha256Env)];
  t.ok(refs.every((r) => typeof r === 'string' && r.length > 0), `the signing key and every gateway's token hash are Secret references (${refs.join(', ')})`);
  const fromEnv = new Set((c.env ?? []).map((e) => e.name));
  const secretRefs = (c.envFrom ?? []).flatMap((f) => (f.secretRef ? [f.secretRef.name] : []));
  for (const r of refs) t.notOk(fromEnv.has(r ?? ''), `${r} is not written into the manifest`);
  t.same(secretRefs, ['streetwatch-router-secrets'], 'router-live reads them from the Secret streetwatch-router-secrets (envFrom)');
  t.ok(secretRefs.every((n) => EXTERNAL_SECRETS.has(n)), 'a Secret created out of band');
  const readme = readFileSync(join(REPO, 'deploy/README.md'), 'utf8');
  const row = readme.split('\n').find((l) => l.startsWith('| `streetwatch-router-secrets` |')) ?? '';
  t.ok(row.includes(liveCfg?.signingKeyEnv ?? '?') && row.includes('STREETWATCH_LIVE_GATEWAY_<BOX>_SHA256'), 'deploy/README.md names the keys to put in it');
  for (const g of liveCfg?.gateways ?? []) {
    const name = g.tokenSha256Env ?? '';
    t.equal(name, `STREETWATCH_LIVE_GATEWAY_${g.id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SHA256`, `gateway ${g.id}: the documented name`);
  }
});

t.test('the edge gateway opens its live link to the production ingress with a token from the Secret edge-live-token', async (t) => {
  const gateway = parse(readFileSync(join(K8S, 'overlays/edge/gateway.example.yaml'), 'utf8')) as { gatewayId: string; live?: { routerUrl: string; tokenEnv?: string; tokenFile?: string } };
  const host = (find(rendered.get('overlays/production')!, 'Ingress', 'router-live')?.spec as { rules: Array<{ host: string }> }).rules[0]?.host;
  t.equal(gateway.live?.routerUrl, `wss://${host}/live/gateway`, 'wss through the production ingress');
  t.equal(backendFor(ingressPaths(rendered.get('overlays/production')!), new URL(gateway.live?.routerUrl ?? 'wss://x/').pathname)?.backend.service.name, 'router-live', 'which routes it to router-live');
  t.equal(gateway.live?.tokenEnv, 'STREETWATCH_LIVE_TOKEN');
  const c = containersOf(find(rendered.get('overlays/edge')!, 'Deployment', 'edge-gateway')!)[0] as Container;
  t.ok(c.envFrom?.some((e) => e.secretRef?.name === 'edge-live-token'), 'the token comes from the Secret edge-live-token (envFrom)');
  const router = parse(cmData('base', 'streetwatch-router', 'router.yaml')) as { live?: { gateways: Array<{ id: string }> } };
  t.ok(router.live?.gateways.some((g) => g.id === gateway.gatewayId), `the router knows gateway ${gateway.gatewayId}`);
});

t.test('production: the router believes X-Forwarded-For only from the ingress (STREETWATCH_TRUST_PROXY, addresses/CIDRs)', async (t) => {
  const prod = rendered.get('overlays/production')!;
  const stack = prod.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('streetwatch-stack'))!;
  const value = (stack.data as Record<string, string>).STREETWATCH_TRUST_PROXY;
  t.ok(value, 'set in the production overlay');
  for (const entry of (value ?? '').split(',')) {
    const [ip, bits, ...rest] = entry.trim().split('/');
    t.ok(isIP(ip ?? '') !== 0 && rest.length === 0 && (bits === undefined || (Number(bits) >= 8 && Number(bits) <= (isIP(ip ?? '') === 4 ? 32 : 128))), `${entry}: an address or a CIDR no wider than /8`);
  }
  const router = find(prod, 'Deployment', 'alert-router')!;
  const c = containersOf(router)[0] as Container;
  t.ok(c.envFrom?.some((e) => e.configMapRef?.name.startsWith('streetwatch-stack')), 'the router reads streetwatch-stack');
  const staging = rendered.get('overlays/staging')!.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('streetwatch-stack'));
  t.notOk((staging?.data as Record<string, string> | undefined)?.STREETWATCH_TRUST_PROXY, 'staging has no ingress: nothing trusted');
});

t.test('the edge gateway binds beyond loopback in its pod only with an ops token from a Secret', async (t) => {
  const gateway = parse(readFileSync(join(K8S, 'overlays/edge/gateway.example.yaml'), 'utf8')) as { http: { host: string; tokenEnv?: string } };
  t.equal(gateway.http.tokenEnv, 'STREETWATCH_EDGE_OPS_TOKEN');
  const d = find(rendered.get('overlays/edge')!, 'Deployment', 'edge-gateway')!;
  const c = containersOf(d)[0] as Container;
  t.ok(c.envFrom?.some((e) => e.secretRef?.name === 'edge-ops-token'), 'the token comes from the Secret edge-ops-token');
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) t.ok(['/healthz', '/readyz'].includes(probe?.httpGet?.path ?? ''), 'probes use the open routes');
});

t.test('no file under k8s/ declares a Secret', async (t) => {
  const files = kustomizationDirs(K8S).flatMap((d) => {
    const k = readYamlDocs(join(d, 'kustomization.yaml'))[0] as unknown as { resources?: string[]; patches?: Array<{ path: string }> };
    return [...(k.resources ?? []), ...(k.patches ?? []).map((p) => p.path)].filter((r) => r.endsWith('.yaml')).map((r) => join(d, r));
  });
  t.ok(files.length >= 10);
  for (const f of files) for (const o of readYamlDocs(f)) t.not(o.kind, 'Secret', relative(REPO, f));
});
