/**
 * A small kustomize renderer for the tests (no kustomize/kubectl binary is installable here). It
 * supports exactly what k8s/ uses and throws on anything else, so a new kustomize feature in the
 * tree fails loudly instead of being ignored:
 *   resources (files, or folders with a kustomization.yaml), namespace, labels (metadata only),
 *   configMapGenerator (literals, files; behavior create/merge; a content-hash name suffix with
 *   references in pod specs rewritten), images (newTag/newName), replicas, patches (path: a
 *   strategic merge of maps, lists of named items merged by name, other lists replaced).
 * Names get a hash like kustomize's, not the same hash: tests compare structure, not suffixes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  labels?: Array<{ pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }>;
  configMapGenerator?: Generator[];
  images?: Array<{ name: string; newTag?: string; newName?: string }>;
  replicas?: Array<{ name: string; count: number }>;
  patches?: Array<{ path: string }>;
}

const SUPPORTED = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'configMapGenerator', 'images', 'replicas', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);
const GENERATED = Symbol('generated');

export function readYamlDocs(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Strategic merge, simplified: maps deep-merge, lists of `name`d items merge by name, others replace. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (isObject(patch) && '$patch' in patch) throw new Error('$patch directives are not supported by the test renderer');
  if (isObject(base) && isObject(patch)) {
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = k in base ? strategicMerge(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((p) => isObject(p) && typeof p.name === 'string')) {
    const out = base.map((b) => {
      const p = isObject(b) ? patch.find((x) => (x as { name: string }).name === b.name) : undefined;
      return p ? strategicMerge(b, p) : b;
    });
    for (const p of patch) if (!base.some((b) => isObject(b) && b.name === (p as { name: string }).name)) out.push(p);
    return out;
  }
  return patch;
}

function generate(dir: string, g: Generator): Record<string, string> {
  const data: Record<string, string> = {};
  for (const lit of g.literals ?? []) {
    const i = lit.indexOf('=');
    if (i <= 0) throw new Error(`bad literal ${lit}`);
    data[lit.slice(0, i)] = lit.slice(i + 1);
  }
  for (const f of g.files ?? []) {
    const i = f.indexOf('=');
    const key = i > 0 ? f.slice(0, i) : f.split('/').pop()!;
    const path = i > 0 ? f.slice(i + 1) : f;
    data[key] = readFileSync(join(dir, path), 'utf8');
  }
  return data;
}

type PodSpec = {
  containers?: Array<Record<string, unknown>>;
  initContainers?: Array<Record<string, unknown>>;
  volumes?: Array<Record<string, unknown>>;
};

/** The pod spec of a workload (Deployment, DaemonSet, StatefulSet, Job), or undefined. */
export function podSpec(o: K8sObject): PodSpec | undefined {
  const spec = o.spec as { template?: { spec?: PodSpec } } | undefined;
  return spec?.template?.spec;
}

export function containersOf(o: K8sObject): Array<Record<string, unknown> & { name: string }> {
  const s = podSpec(o);
  return [...(s?.initContainers ?? []), ...(s?.containers ?? [])] as Array<Record<string, unknown> & { name: string }>;
}

function renameConfigMapRefs(o: K8sObject, names: Map<string, string>): void {
  const s = podSpec(o);
  if (!s) return;
  const rename = (ref: unknown, key = 'name') => {
    if (isObject(ref) && typeof ref[key] === 'string' && names.has(ref[key])) ref[key] = names.get(ref[key]);
  };
  for (const v of s.volumes ?? []) rename(v.configMap);
  for (const c of containersOf(o)) {
    for (const e of (c.envFrom as Array<Record<string, unknown>> | undefined) ?? []) rename(e.configMapRef);
    for (const e of (c.env as Array<Record<string, unknown>> | undefined) ?? []) rename(isObject(e.valueFrom) ? e.valueFrom.configMapKeyRef : undefined);
  }
}

function load(dir: string): K8sObject[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir}: no kustomization.yaml`);
  const k = readYamlDocs(file)[0] as unknown as Kustomization;
  for (const key of Object.keys(k)) if (!SUPPORTED.has(key)) throw new Error(`${file}: "${key}" is not supported by the test renderer`);

  let objects: K8sObject[] = [];
  for (const r of k.resources ?? []) {
    const p = join(dir, r);
    objects.push(...(statSync(p).isDirectory() ? load(p) : readYamlDocs(p)));
  }
  for (const g of k.configMapGenerator ?? []) {
    const data = generate(dir, g);
    const existing = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === g.name);
    if ((g.behavior ?? 'create') === 'create') {
      if (existing) throw new Error(`${file}: ConfigMap ${g.name} already exists (use behavior: merge)`);
      objects.push(Object.assign({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: g.name }, data }, { [GENERATED]: true }));
    } else {
      if (!existing) throw new Error(`${file}: ConfigMap ${g.name} to ${g.behavior} does not exist`);
      existing.data = g.behavior === 'merge' ? { ...(existing.data as Record<string, string>), ...data } : data;
    }
  }
  for (const p of k.patches ?? []) {
    for (const patch of readYamlDocs(join(dir, p.path))) {
      const i = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
      if (i < 0) throw new Error(`${file}: patch ${p.path} targets ${patch.kind}/${patch.metadata.name}, which does not exist`);
      const generated = GENERATED in (objects[i] as object);
      objects[i] = strategicMerge(objects[i], patch) as K8sObject;
      if (generated) Object.assign(objects[i] as object, { [GENERATED]: true });
    }
  }
  for (const r of k.replicas ?? []) {
    const target = objects.find((o) => ['Deployment', 'StatefulSet'].includes(o.kind) && o.metadata.name === r.name);
    if (!target) throw new Error(`${file}: replicas for ${r.name}, which does not exist`);
    (target.spec as Record<string, unknown>).replicas = r.count;
  }
  for (const img of k.images ?? []) {
    for (const o of objects) {
      for (const c of containersOf(o)) {
        const image = c.image as string;
        const [name] = image.split(/[:@]/);
        if (name !== img.name) continue;
        c.image = `${img.newName ?? name}:${img.newTag ?? image.split(':')[1] ?? 'latest'}`;
      }
    }
  }
  for (const l of k.labels ?? []) {
    if (l.includeSelectors || l.includeTemplates) throw new Error(`${file}: labels with includeSelectors/includeTemplates are not supported`);
    for (const o of objects) o.metadata.labels = { ...(o.metadata.labels ?? {}), ...l.pairs };
  }
  if (k.namespace) for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace = k.namespace;
  return objects;
}

/** Renders a kustomization folder: every object, generated ConfigMaps hash-suffixed and referenced. */
export function render(dir: string): K8sObject[] {
  const objects = structuredCloneKeep(load(dir));
  const names = new Map<string, string>();
  for (const o of objects) {
    if (!(GENERATED in o)) continue;
    const hash = createHash('sha256').update(JSON.stringify(o.data)).digest('hex').slice(0, 10);
    names.set(o.metadata.name, `${o.metadata.name}-${hash}`);
    o.metadata.name = `${o.metadata.name}-${hash}`;
  }
  for (const o of objects) renameConfigMapRefs(o, names);
  return objects;
}

function structuredCloneKeep(objects: K8sObject[]): K8sObject[] {
  return objects.map((o) => (GENERATED in o ? Object.assign(structuredClone(o), { [GENERATED]: true }) : structuredClone(o)));
}

export function kustomizationDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    if (existsSync(join(d, 'kustomization.yaml'))) out.push(d);
    for (const name of readdirSafe(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.sort();
}

function readdirSafe(d: string): string[] {
  try {
    return readdirSync(d).sort();
  } catch {
    return [];
  }
}
