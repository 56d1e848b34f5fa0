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

/** `rtsp://admin:pw@host/...` → `rtsp://admin:***@host/...` (also for http URLs with credentials). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]+):([^@/\s]*)@/i, '$1$2:***@');
}

/** Redact credentials in any URL embedded in free text (ffmpeg stderr, error messages). */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)([^:/@\s]+):([^@/\s]*)@/gi, '$1$2:***@');
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
