import { ConfigError } from '@streetwatch/platform';

const ADDRESS = /^[0-9A-Fa-f.:/]+$/;

/**
 * `http.trustProxy`, or the comma-separated list in `STREETWATCH_TRUST_PROXY` when that is set
 * (a deployment overlay sets the ingress's addresses without copying the whole router.yaml; k8s:
 * the production overlay's `streetwatch-stack` ConfigMap). Each entry an address or CIDR; a bad one
 * is a config error naming the variable and the entry.
 */
export function trustProxyOf(configured: readonly string[], env: Readonly<Record<string, string | undefined>>): string[] {
  const raw = env.STREETWATCH_TRUST_PROXY;
  if (raw === undefined || raw.trim() === '') return [...configured];
  const list = raw.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const bad = list.map((x, i) => ({ x, i })).filter(({ x }) => !ADDRESS.test(x));
  if (bad.length > 0) {
    throw new ConfigError(
      'SW_CONFIG_INVALID',
      'environment STREETWATCH_TRUST_PROXY',
      bad.map(({ x, i }) => ({ path: `/${i}`, message: `${JSON.stringify(x)} is not an address or CIDR` })),
    );
  }
  return list;
}
