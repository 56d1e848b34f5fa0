/**
 * Camera passwords named in config (`passwordEnv`, `passwordFile`) are read here, once, while the
 * config is loaded: the frozen config then holds only `password`, and no stage reads the
 * environment or a secret file. A variable that is not set or a file that cannot be read is a
 * config problem reported by the key that names it (`cameras.2.source.passwordEnv: environment
 * variable CAM_PW is not set`); the value never appears in a message or a log line (the gateway
 * logger redacts `password` keys, see EDGE_REDACT_PATHS).
 */
import { resolveSecretField, type SecretContext } from '@streetwatch/platform';
import type { FieldError } from '@streetwatch/schemas';
import type { SourceConfig } from '../cameras/config.js';

export type { SecretContext };

/** Log paths that may hold a camera password, beyond the platform's `password` / `*.password` / `*.*.password`. */
export const EDGE_REDACT_PATHS = [
  'source.password',
  '*.source.password',
  'cameras[*].source.password',
  'config.cameras[*].source.password',
  'isapi.password',
  '*.isapi.password',
  'cameras[*].isapi.password',
  'config.cameras[*].isapi.password',
  'http.token',
  'config.http.token',
  'live.token',
  'config.live.token',
  'headers.authorization',
  'req.headers.authorization',
  // the evidence store's resolved secret key, deeper than the platform's `*.*.secretAccessKey`
  // (evidence.objectStore.credentials.secretAccessKey, and under `config.`): leaves only, no
  // overlapping paths (see the platform's REDACT_PATHS)
  '*.objectStore.credentials.secretAccessKey',
  '*.*.objectStore.credentials.secretAccessKey',
];

/** Addresses that only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The ops server's token: `tokenFile` / `tokenEnv` read into `token` (problems under `/http/...`),
 * a token written in the file refused, and a bind address other than loopback without a token
 * refused (the server would give /status and /metrics to whoever reaches the box).
 */
export function resolveHttpToken(
  http: { host: string; tokenFile?: string; tokenEnv?: string; token?: string },
  ctx: SecretContext,
  errors: FieldError[],
): string | undefined {
  if (http.token !== undefined) {
    errors.push({ path: '/http/token', message: 'write tokenFile or tokenEnv, never the token itself' });
    return undefined;
  }
  const r = resolveSecretField(http, 'token', '/http', ctx, { optional: true });
  if (!r.ok) {
    errors.push(r.error);
    return undefined;
  }
  if (r.value === undefined) {
    if (!isLoopback(http.host)) {
      errors.push({
        path: '/http/host',
        message: `${http.host} is not loopback: set http.tokenFile or http.tokenEnv (a bearer token for /status and /metrics), or bind 127.0.0.1`,
      });
    }
    return undefined;
  }
  if (r.value.length < 16) {
    errors.push({ path: `/http/${http.tokenEnv !== undefined ? 'tokenEnv' : 'tokenFile'}`, message: 'the token must be at least 16 characters' });
    return undefined;
  }
  return r.value;
}

/**
 * The source with `passwordEnv` / `passwordFile` replaced by the `password` they name. Problems
 * are pushed to `errors` under `prefix` (the source's JSON pointer); the source is returned
 * without the reference either way. Call after the source passed its schema and passwordProblems.
 */
export function resolveSourceSecrets(source: SourceConfig, prefix: string, ctx: SecretContext, errors: FieldError[]): SourceConfig {
  if (source.type === 'file') return source;
  const { passwordEnv: _e, passwordFile: _f, ...rest } = source;
  const r = resolveSecretField(source, 'password', prefix, ctx, { optional: true });
  if (!r.ok) {
    errors.push(r.error);
    return rest as SourceConfig;
  }
  return r.value === undefined ? source : ({ ...rest, password: r.value } as SourceConfig);
}
