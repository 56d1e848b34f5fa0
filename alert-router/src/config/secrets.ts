import { readSecret, StreetwatchError } from '@streetwatch/platform';
import type { SecretRef } from './schema.js';

/** Resolves a secret reference; main.ts builds it over `process.env`, tests over a plain object. */
export type SecretResolver = (ref: SecretRef) => string;

export function secretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  // The platform's one secret rule (platform/src/config/secrets.ts), with the router's error code.
  return (ref) => {
    const r = readSecret('secretEnv' in ref ? { env: ref.secretEnv } : { file: ref.secretFile }, { env });
    if (!r.ok) throw new StreetwatchError('SW_ROUTER_SECRET_MISSING', r.problem, { cause: r.cause });
    return r.value;
  };
}

/** Log fields that hold secrets, for pino redaction (added to the platform's list). */
export const ROUTER_REDACT_PATHS = [
  'accessKeySecret',
  'secretKey',
  'signSecret',
  'accessToken',
  'signingKey',
  '*.signingKey',
  '*.*.signingKey',
  '*.accessKeySecret',
  '*.secretKey',
  '*.signSecret',
  '*.accessToken',
  'headers.authorization',
  '*.headers.authorization',
  'query.ticket',
  '*.query.ticket',
];
