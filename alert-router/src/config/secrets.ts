import { dotted, resolveSecretField, StreetwatchError } from '@streetwatch/platform';
import type { FieldError } from '@streetwatch/schemas';

/**
 * Reads secret `field` of a config object at JSON pointer `at` (`<field>Env` / `<field>File`,
 * exactly one); main.ts builds it over `process.env`, tests over a plain object.
 */
export type SecretResolver = (holder: object, field: string, at: string) => string;

/** A secret the config names is not available; `problem` names the key's path, never the value. */
export class SecretMissingError extends StreetwatchError<'SW_ROUTER_SECRET_MISSING'> {
  constructor(
    readonly problem: FieldError,
    cause?: unknown,
  ) {
    super('SW_ROUTER_SECRET_MISSING', `${dotted(problem.path)}: ${problem.message}`, { cause });
    this.name = 'SecretMissingError';
  }
}

export function secretResolver(env: Readonly<Record<string, string | undefined>>): SecretResolver {
  // The platform's one secret rule (platform/src/config/secrets.ts), with the router's error code.
  return (holder, field, at) => {
    const r = resolveSecretField(holder, field, at, { env });
    if (!r.ok) throw new SecretMissingError(r.error, r.cause);
    return r.value as string; // not optional: an absent pair is a problem above
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
