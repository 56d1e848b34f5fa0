/**
 * Camera configuration: where the video comes from (`source.type` selects the frame source),
 * the analytic sampling (fps, size), and the watchdog. TypeBox schemas with defaults; unknown
 * keys are rejected. The gateway's config module embeds `CameraConfig`; `parseCameraConfig`
 * validates one camera on its own (defaults applied, errors reported by key path).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Id } from '@streetwatch/schemas';
import { secretFieldSchema } from '@streetwatch/platform';

const Ms = (def: number, min = 0) => Type.Integer({ minimum: min, maximum: 86_400_000, default: def });

export const AnalyticConfig = Type.Object(
  {
    /** Frames per second handed to the analytics (the camera may send 25). */
    fps: Type.Number({ exclusiveMinimum: 0, maximum: 30, default: 2 }),
    /** Size of the analytic frame. The picture is stretched to it; normalized coordinates are unaffected. */
    width: Type.Integer({ minimum: 16, maximum: 3840, multipleOf: 2, default: 640 }),
    height: Type.Integer({ minimum: 16, maximum: 2160, multipleOf: 2, default: 480 }),
    /** Frames the sampler keeps preallocated (>= 3: one delivered, one pending, one being written). */
    ringSize: Type.Integer({ minimum: 3, maximum: 64, default: 4 }),
  },
  { additionalProperties: false },
);
export type AnalyticConfig = Static<typeof AnalyticConfig>;

export const WatchdogConfig = Type.Object(
  {
    /** After (re)starting ffmpeg, time allowed for the first frame. */
    firstFrameTimeoutMs: Ms(15_000, 100),
    /** Once streaming, a gap longer than this restarts ffmpeg (SW_EDGE_STREAM_STALLED). */
    stallTimeoutMs: Ms(10_000, 100),
    backoffInitialMs: Ms(1_000, 10),
    backoffMaxMs: Ms(30_000, 10),
    /** A rejected password is not retried fast: its own, longer schedule (no crash loop, no lockout). */
    authBackoffMs: Ms(60_000, 10),
    authBackoffMaxMs: Ms(900_000, 10),
    /** +/- fraction of each delay, so cameras behind one switch do not reconnect in lockstep. */
    jitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
    /** SIGTERM -> SIGKILL grace when stopping ffmpeg. */
    killGraceMs: Ms(2_000, 0),
  },
  { additionalProperties: false },
);
export type WatchdogConfig = Static<typeof WatchdogConfig>;

const Secret = Type.String({ maxLength: 256, description: 'inline password (prefer passwordEnv or passwordFile)' });

/**
 * Where a camera's password comes from: inline `password`, or named, never inline: `passwordEnv`
 * (an environment variable) or `passwordFile` (a file, one trailing newline ignored). Exactly one
 * for hikvision/onvif, at most one for rtsp. Resolved once at start by the gateway's config
 * loading (config/secrets.ts), which leaves only `password` in the frozen config.
 */
const PasswordRefs = {
  password: Type.Optional(Secret),
  ...secretFieldSchema('password', { what: 'the password', envPattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
};
export const PASSWORD_KEYS = ['password', 'passwordEnv', 'passwordFile'] as const;

export const RtspSourceConfig = Type.Object(
  {
    type: Type.Literal('rtsp'),
    url: Type.String({ pattern: '^rtsps?://', maxLength: 2048 }),
    /** Kept out of the URL in config files; injected at connect time. */
    username: Type.Optional(Type.String({ maxLength: 256 })),
    ...PasswordRefs,
  },
  { additionalProperties: false },
);

export const HikvisionSourceConfig = Type.Object(
  {
    type: Type.Literal('hikvision'),
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 554 }),
    channel: Type.Integer({ minimum: 1, maximum: 999, default: 1 }),
    stream: Type.Union([Type.Literal('main'), Type.Literal('sub'), Type.Literal('third')], { default: 'sub' }),
    username: Type.String({ maxLength: 256 }),
    ...PasswordRefs,
  },
  { additionalProperties: false },
);

export const OnvifSourceConfig = Type.Object(
  {
    type: Type.Literal('onvif'),
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 80 }),
    /** Device service path (Hikvision: /onvif/device_service). */
    path: Type.String({ pattern: '^/', maxLength: 512, default: '/onvif/device_service' }),
    username: Type.String({ maxLength: 256 }),
    ...PasswordRefs,
    /** 'sub' = smallest resolution profile (analytics), 'main' = largest, or a profile token. */
    profile: Type.String({ minLength: 1, maxLength: 64, default: 'sub' }),
    timeoutMs: Ms(5_000, 100),
  },
  { additionalProperties: false },
);

export const FileSourceConfig = Type.Object(
  {
    type: Type.Literal('file'),
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    loop: Type.Boolean({ default: false }),
    /** Read at the native rate (ffmpeg -re); otherwise as fast as the consumer takes frames. */
    realtime: Type.Boolean({ default: false }),
    /** Virtual clock origin: frame n has eventTime = startTime + n / fps. Default: time of start(). */
    startTime: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})$' })),
  },
  { additionalProperties: false },
);

export const SourceConfig = Type.Union([RtspSourceConfig, HikvisionSourceConfig, OnvifSourceConfig, FileSourceConfig]);
export type RtspSourceConfig = Static<typeof RtspSourceConfig>;
export type HikvisionSourceConfig = Static<typeof HikvisionSourceConfig>;
export type OnvifSourceConfig = Static<typeof OnvifSourceConfig>;
export type FileSourceConfig = Static<typeof FileSourceConfig>;
export type SourceConfig = Static<typeof SourceConfig>;
export type SourceType = SourceConfig['type'];

export const CameraConfig = Type.Object(
  {
    id: Id,
    source: SourceConfig,
    analytic: Type.Optional(AnalyticConfig),
    watchdog: Type.Optional(WatchdogConfig),
  },
  { additionalProperties: false },
);
export type CameraConfigInput = Static<typeof CameraConfig>;
/** A camera with every default filled in. */
export type CameraConfig = CameraConfigInput & { analytic: AnalyticConfig; watchdog: WatchdogConfig };

/** The camera with `source` left to its type's schema (so each error is reported once, by path). */
const CameraTop = Type.Object(
  { id: Id, source: Type.Unknown(), analytic: AnalyticConfig, watchdog: WatchdogConfig },
  { additionalProperties: false },
);

const SOURCE_SCHEMAS: Record<SourceType, TSchema> = {
  rtsp: RtspSourceConfig,
  hikvision: HikvisionSourceConfig,
  onvif: OnvifSourceConfig,
  file: FileSourceConfig,
};

/**
 * The password-source rule a schema cannot say: exactly one of password / passwordEnv /
 * passwordFile (hikvision, onvif: a password is required), at most one (rtsp). Paths are
 * relative to the source (`/password`); messages name keys, never values.
 */
export function passwordProblems(source: SourceConfig): { path: string; message: string }[] {
  if (source.type === 'file') return [];
  const given = PASSWORD_KEYS.filter((k) => source[k] !== undefined);
  if (given.length > 1) return given.slice(1).map((k) => ({ path: `/${k}`, message: `only one of ${PASSWORD_KEYS.join(', ')} may be set (also set: ${given[0]})` }));
  if (given.length === 0 && source.type !== 'rtsp') return [{ path: '/password', message: `is required (or passwordEnv / passwordFile)` }];
  return [];
}

export class CameraConfigError extends Error {
  readonly errors: readonly { path: string; message: string }[];
  constructor(errors: { path: string; message: string }[]) {
    super(`invalid camera config: ${errors.map((e) => `${e.path || '/'} ${e.message}`).join('; ')}`);
    this.name = 'CameraConfigError';
    this.errors = errors;
  }
}

function check(schema: TSchema, value: unknown, prefix: string, out: { path: string; message: string }[]): void {
  for (const e of Value.Errors(schema, value)) out.push({ path: prefix + e.path, message: e.message });
}

/**
 * Validate one camera and fill defaults. `source` is checked against the schema its `type`
 * selects, so errors point at the real key (`/source/port`), not at "no union member matched".
 * Secrets never appear in the messages (TypeBox reports paths and rules, not values).
 */
export function parseCameraConfig(input: unknown): CameraConfig {
  const value = Value.Clone(input) as Record<string, unknown>;
  const errors: { path: string; message: string }[] = [];
  if (typeof value !== 'object' || value === null) throw new CameraConfigError([{ path: '', message: 'must be an object' }]);
  value.analytic = Value.Default(AnalyticConfig, value.analytic ?? {});
  value.watchdog = Value.Default(WatchdogConfig, value.watchdog ?? {});
  const source = value.source as { type?: unknown } | undefined;
  const sourceSchema = typeof source?.type === 'string' ? SOURCE_SCHEMAS[source.type as SourceType] : undefined;
  if (source === undefined || typeof source !== 'object') {
    errors.push({ path: '/source', message: 'is required' });
  } else if (sourceSchema === undefined) {
    errors.push({ path: '/source/type', message: `must be one of ${Object.keys(SOURCE_SCHEMAS).join(', ')}` });
  } else {
    value.source = Value.Default(sourceSchema, source);
    const before = errors.length;
    check(sourceSchema, value.source, '/source', errors);
    if (errors.length === before) errors.push(...passwordProblems(value.source as SourceConfig).map((e) => ({ ...e, path: `/source${e.path}` })));
  }
  check(CameraTop, value, '', errors);
  if (errors.length > 0) throw new CameraConfigError(errors);
  return value as unknown as CameraConfig;
}
