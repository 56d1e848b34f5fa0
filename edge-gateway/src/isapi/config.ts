/**
 * Per-camera `isapi` section: subscribe to the camera's own analytics (Hikvision smart events on
 * `/ISAPI/Event/notification/alertStream`) and map the event types named in `events` into the
 * gateway's violation lifecycle. Host and credentials default to the camera's `hikvision` source;
 * another source type must name them here. Password references are resolved with the source's
 * (config/secrets.ts), so the frozen config holds only `password`.
 */
import { Type, type Static } from '@sinclair/typebox';
import { resolveSecretField, secretFieldSchema, type SecretContext } from '@streetwatch/platform';
import { Id, type FieldError } from '@streetwatch/schemas';
import { PASSWORD_KEYS, type SourceConfig } from '../cameras/config.js';
import { VIOLATION_TYPES, type ViolationType } from '../rules/config.js';

const Ms = (def: number, min: number, description?: string) =>
  Type.Integer({ minimum: min, maximum: 86_400_000, default: def, ...(description !== undefined && { description }) });

export const IsapiEventMappingSchema = Type.Object(
  {
    type: Type.Unsafe<ViolationType>({ type: 'string', enum: [...VIOLATION_TYPES], description: 'the violation this camera event means' }),
    zoneId: Id,
    objectClass: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "objectClass in events (default: the event's targetType, else the event type)" })),
    creditSeconds: Type.Number({
      minimum: 0,
      maximum: 86_400,
      default: 0,
      description: "the camera's own confirmation time (e.g. its parking duration): startedAt = first alert - creditSeconds, so dwell rules count it",
    }),
    gridId: Type.Optional(Id),
    shopId: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const IsapiConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    scheme: Type.Union([Type.Literal('http'), Type.Literal('https')], { default: 'http' }),
    host: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: "default: the hikvision source's host" })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'default 80 (http) / 443 (https)' })),
    path: Type.String({ pattern: '^/', maxLength: 512, default: '/ISAPI/Event/notification/alertStream' }),
    username: Type.Optional(Type.String({ maxLength: 256, description: "default: the hikvision source's username" })),
    password: Type.Optional(Type.String({ maxLength: 256 })),
    ...secretFieldSchema('password', { what: 'the password', envPattern: '^[A-Za-z_][A-Za-z0-9_]*$' }),
    channel: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 999, description: "only alerts of this channel (dynChannelID, else channelID); default: the hikvision source's channel, else all" }),
    ),
    /** eventType (as the camera spells it, e.g. parking, regionEntrance, unattendedBaggage, linedetection) -> violation. */
    events: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), IsapiEventMappingSchema, { default: {} }),
    /** An event not repeated (active) for this long ends ('lost'): many smart events are pulses without an inactive. */
    endAfterSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 60 }),
    /** Where Hikvision puts the origin of its 0-1000 region coordinates. */
    regionOrigin: Type.Union([Type.Literal('bottom-left'), Type.Literal('top-left')], { default: 'bottom-left' }),
    /** No byte (heartbeats included: cameras send one every ~10 s) for this long: the stream is dead, reconnect. */
    stallTimeoutMs: Ms(30_000, 100),
    connectTimeoutMs: Ms(10_000, 100),
    /** How long an event part waits for its picture part (image/jpeg) before it goes out without one. */
    pictureWaitMs: Ms(1_000, 0),
    maxPartBytes: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 8 * 1024 * 1024 }),
    backoffInitialMs: Ms(1_000, 10),
    backoffMaxMs: Ms(30_000, 10),
    /** A rejected password is retried slowly (no lockout of the camera account). */
    authBackoffMs: Ms(60_000, 10),
    authBackoffMaxMs: Ms(900_000, 10),
    jitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
  },
  { additionalProperties: false },
);

export type IsapiEventMapping = Static<typeof IsapiEventMappingSchema>;
export type IsapiConfig = Static<typeof IsapiConfigSchema>;

/** The section with host, port, credentials and channel resolved (what the subscriber takes). */
export interface ResolvedIsapiConfig extends IsapiConfig {
  host: string;
  port: number;
  username: string;
  password: string;
}

/**
 * Resolve a camera's parsed `isapi` section against its source: host, port, username, password
 * and channel default to a `hikvision` source's; a named password (passwordEnv / passwordFile) is
 * read here. Problems go to `errors` under `prefix` (`/cameras/2/isapi`), naming keys, never values.
 * Returns undefined when the section is absent, disabled or has problems.
 */
export function resolveIsapiConfig(
  isapi: IsapiConfig | undefined,
  source: SourceConfig,
  prefix: string,
  secrets: SecretContext,
  errors: FieldError[],
): ResolvedIsapiConfig | undefined {
  if (isapi === undefined || !isapi.enabled) return undefined;
  const hik = source.type === 'hikvision' ? source : undefined;
  const before = errors.length;
  const host = isapi.host ?? hik?.host;
  if (host === undefined) errors.push({ path: `${prefix}/host`, message: 'is required (the camera source is not of type hikvision)' });
  const username = isapi.username ?? hik?.username;
  if (username === undefined) errors.push({ path: `${prefix}/username`, message: 'is required (the camera source is not of type hikvision)' });
  const refs = PASSWORD_KEYS.filter((k) => isapi[k] !== undefined);
  let password: string | undefined;
  if (refs.length > 1) errors.push({ path: `${prefix}/${refs[1]}`, message: `only one of ${PASSWORD_KEYS.join(', ')} may be set (also set: ${refs[0]})` });
  else if (isapi.password !== undefined) password = isapi.password;
  else if (isapi.passwordEnv !== undefined || isapi.passwordFile !== undefined) {
    const r = resolveSecretField(isapi, 'password', prefix, secrets);
    if (r.ok) password = r.value;
    else errors.push(r.error);
  } else if (isapi.host === undefined || isapi.host === hik?.host) password = hik?.password;
  if (password === undefined && errors.length === before) errors.push({ path: `${prefix}/password`, message: 'is required (or passwordEnv / passwordFile), unless the hikvision source of the same host gives it' });
  if (Object.keys(isapi.events).length === 0) errors.push({ path: `${prefix}/events`, message: 'maps no event type: nothing would be subscribed to' });
  if (errors.length > before || host === undefined || username === undefined || password === undefined) return undefined;
  const { passwordEnv: _e, passwordFile: _f, ...rest } = isapi;
  const channel = isapi.channel ?? hik?.channel;
  return {
    ...rest,
    host,
    port: isapi.port ?? (isapi.scheme === 'https' ? 443 : 80),
    username,
    password,
    ...(channel !== undefined && { channel }),
  };
}
