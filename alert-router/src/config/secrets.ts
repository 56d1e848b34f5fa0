import { readFileSync } from 'node:fs';
import { StreetwatchError } from '@streetwatch/platform';
import type { SecretRef } from './schema.js';

/** Resolves a secret reference; main.ts builds it over `process.env`, tests over a plain object. */
export type SecretResolver = (ref: SecretRef) => string;

export function secretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  return (ref) => {
    if ('secretEnv' in ref) {
      const v = env[ref.secretEnv];
      if (!v) throw new StreetwatchError('SW_ROUTER_SECRET_MISSING', `environment variable ${ref.secretEnv} is not set`);
      return v;
    }
    try {
      return readFileSync(ref.secretFile, 'utf8').trim();
    } catch (cause) {
      throw new StreetwatchError('SW_ROUTER_SECRET_MISSING', `secret file ${ref.secretFile} cannot be read`, { cause });
    }
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
