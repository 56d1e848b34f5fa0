import { ConfigError, createS3Client, resolveObjectStore, type Logger, type Pool } from '@streetwatch/platform';
import { SecretMissingError, type SecretResolver } from '../config/secrets.js';
import type { RouterConfig } from '../config/schema.js';
import { systemClock, type Clock } from '@streetwatch/platform';
import { EvidenceLinks } from './links.js';

/**
 * The evidence links of a router config, or undefined without an `evidence` section. Credentials
 * are resolved here, once (a missing variable or file: ConfigError naming the key, never a value).
 * Returns a close function for the S3 client.
 */
export function evidenceLinksFrom(
  cfg: RouterConfig,
  source: string,
  deps: { pool: Pool; log: Logger; env: Readonly<Record<string, string | undefined>>; resolveSecret: SecretResolver; clock?: Clock },
): { links: EvidenceLinks; close: () => void } | undefined {
  const ev = cfg.evidence;
  if (ev === undefined) return undefined;
  const errors: Array<{ path: string; message: string }> = [];
  const store = resolveObjectStore(ev.store, '/evidence/store', { env: deps.env }, errors);
  let key: string | undefined;
  try {
    key = deps.resolveSecret(ev, 'signingKey', '/evidence');
  } catch (err) {
    if (!(err instanceof SecretMissingError)) throw err;
    errors.push(err.problem);
  }
  if (key !== undefined && Buffer.byteLength(key) < 32) errors.push({ path: `/evidence/signingKey${ev.signingKeyEnv !== undefined ? 'Env' : 'File'}`, message: 'must be at least 32 bytes' });
  if (errors.length > 0 || store === undefined || key === undefined) throw new ConfigError('SW_CONFIG_INVALID', source, errors);
  const s3 = createS3Client(store);
  const links = new EvidenceLinks(ev, { pool: deps.pool, s3, signingKey: key, clock: deps.clock ?? systemClock, log: deps.log });
  return { links, close: () => s3.destroy() };
}
