import { pino, type Logger, type LoggerOptions } from 'pino';

/** Field paths that never reach a log, wherever they appear. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'accessKeySecret',
  '*.accessKeySecret',
  'secretKey',
  '*.secretKey',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.*.password',
  '*.*.secret',
  '*.*.*.password',
  // object store (S3) secret keys (e.g. `store.credentials.secretAccessKey`). Leaves only, never a
  // parent too: two paths matching a node and its child make pino's redaction restore the wrong
  // value, leaving the censor in the LIVE object (found by the evidence redaction test).
  'secretAccessKey',
  '*.secretAccessKey',
  '*.*.secretAccessKey',
];

const REDACTED = '***';

/**
 * Remove credentials from a URL: `rtsp://user:pw@h/p` -> `rtsp://***:***@h/p` (the user too: on a
 * camera it is half the secret). Host, port and path stay. Never throws; text that is not a URL is
 * treated as free text.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = REDACTED;
    if (u.password !== '') u.password = REDACTED;
    return u.toString();
  } catch {
    return redactText(url);
  }
}

/**
 * `scheme://userinfo@` anywhere in free text (ffmpeg stderr, error messages). Greedy up to the
 * last `@` before the path, so an unencoded `@` inside a password does not leak its tail. Also
 * the escaped form ffmpeg echoes from a filter's arguments (`rtsp\://user\:pw@host`).
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*\\?:\/\/)[^\s/]*@/gi;

/** Redact every `scheme://user:password@` occurrence in free text. */
export function redactText(text: string): string {
  return text.replace(USERINFO, `$1${REDACTED}:${REDACTED}@`);
}

export interface LoggerSettings {
  readonly name: string;
  readonly level?: string;
  /** Extra redaction paths (service-specific secrets). */
  readonly redact?: readonly string[];
  /** For tests: write somewhere other than stdout. */
  readonly destination?: pino.DestinationStream;
}

export function createLogger(s: LoggerSettings): Logger {
  const opts: LoggerOptions = {
    name: s.name,
    level: s.level ?? 'info',
    redact: { paths: [...REDACT_PATHS, ...(s.redact ?? [])], censor: '***' },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      // Strings logged as messages or `url`/`err.message` fields may embed credentials.
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>,
        );
      },
    },
    serializers: {
      url: (u: unknown) => (typeof u === 'string' ? redactUrl(u) : u),
      err: (e: unknown) => {
        const base = pino.stdSerializers.err(e as Error) as unknown as Record<string, unknown>;
        if (typeof base.message === 'string') base.message = redactText(base.message);
        if (typeof base.stack === 'string') base.stack = redactText(base.stack);
        return base;
      },
    },
  };
  return s.destination ? pino(opts, s.destination) : pino(opts);
}

export type { Logger };
