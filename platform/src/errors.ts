/**
 * Errors carry a stable code callers branch on (never the message), a cause, and whether a retry
 * can help. Each package keeps one catalogue of its codes; this is the platform's.
 */
export const PLATFORM_ERRORS = {
  SW_CONFIG_INVALID: 'configuration does not match its schema',
  SW_CONFIG_UNREADABLE: 'configuration file cannot be read or parsed',
  SW_CONTRACT_INVALID: 'message does not match its contract',
  SW_CONTRACT_MALFORMED_JSON: 'message is not valid JSON',
  SW_CONTRACT_EMPTY: 'message has no value',
  SW_KAFKA_UNAVAILABLE: 'Kafka broker cannot be reached',
  SW_KAFKA_AUTH: 'Kafka refused the SASL user name or password',
  SW_KAFKA_TLS: "TLS with the Kafka broker failed (its certificate is not trusted or names another host, or it does not speak TLS)",
  SW_KAFKA_DENIED: "Kafka denied an operation: the principal's ACLs do not allow it",
  SW_KAFKA_TOPIC_MISMATCH: 'an existing topic differs from its declared settings',
  SW_PG_UNAVAILABLE: 'PostgreSQL cannot be reached',
  SW_PG_MIGRATION_FAILED: 'a database migration failed',
  SW_PG_TIMESCALEDB_UNAVAILABLE: 'storage mode timescaledb was asked for but the database cannot enable the extension',
  SW_SHUTDOWN_TIMEOUT: 'a component did not close within the grace time',
} as const;

export type PlatformErrorCode = keyof typeof PLATFORM_ERRORS;

export interface StreetwatchErrorOptions {
  readonly cause?: unknown;
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class StreetwatchError<C extends string = string> extends Error {
  readonly code: C;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: C, message: string, opts: StreetwatchErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StreetwatchError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
  }
}

export function hasCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
