/**
 * Renders a kustomization with real kustomize (deploy/scripts/kustomize.sh builds the pinned
 * sigs.k8s.io/kustomize/kustomize/v5 once from the Go module proxy and caches it), plus helpers to
 * read the objects it prints.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO } from './metrics.js';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
};

export function parseYamlDocs(text: string, where: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`${where}: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export function readYamlDocs(file: string): K8sObject[] {
  return parseYamlDocs(readFileSync(file, 'utf8'), file);
}

let binary: string | undefined;

/** The kustomize binary (built on first use; `npm test` builds it before the tests run). */
export function kustomizeBinary(): string {
  binary ??= execFileSync('bash', [join(REPO, 'deploy/scripts/kustomize.sh')], { encoding: 'utf8', timeout: 1_200_000 }).trim();
  return binary;
}

/** `kustomize build DIR`: every object, as kustomize renders it (generated names hash-suffixed). */
export function render(dir: string): K8sObject[] {
  let out: string;
  try {
    out = execFileSync(kustomizeBinary(), ['build', dir], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw new Error(`kustomize build ${dir}: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  return parseYamlDocs(out, `kustomize build ${dir}`);
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
