/**
 * The gateway's root configuration: one TypeBox schema built from the stages' own schemas
 * (camera source/analytic/watchdog, zones, detector, motion, static objects, tracker). Every
 * object rejects unknown keys; defaults are filled in by the parser (parse.ts).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Id, Labels } from '@streetwatch/schemas';
import { secretFieldSchema, type ObjectStore } from '@streetwatch/platform';
import { AnalyticConfig, SourceConfig, WatchdogConfig } from '../cameras/config.js';
import type { CountLine } from '../counting/config.js';
import { DetectorConfigSchema } from '../detector/config.js';
import { IsapiConfigSchema } from '../isapi/config.js';
import { TamperConfigSchema } from '../tamper/config.js';
import { OutboxConfigSchema } from '../outbox/config.js';
import { EvidenceStoreConfigSchema } from '../upload/config.js';
import { PublisherConfigSchema } from '../publish/config.js';
import { MotionConfigSchema, StaticObjectConfigSchema } from '../motion/config.js';
import { VIOLATION_TYPES, ZoneSchema, type ViolationType } from '../rules/config.js';
import { TrackerConfigSchema } from '../tracker/config.js';
import { LiveConfigSchema } from '../live/config.js';

/** A copy of `schema` without any `default` keyword (for override sections: absent = inherit). */
export function withoutDefaults<T extends TSchema>(schema: T): T {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string | symbol, unknown> = {};
    for (const k of Reflect.ownKeys(v)) if (k !== 'default') out[k] = strip((v as Record<string | symbol, unknown>)[k]);
    return out;
  };
  return strip(schema) as T;
}

/** A string enum (ajv reports "must be equal to one of the allowed values" instead of one error per literal). */
function oneOf<T extends string>(values: readonly T[], opts: { default?: T; description?: string } = {}) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });
}

const ms = (def: number, min: number, max: number) => Type.Integer({ minimum: min, maximum: max, default: def });

export const HttpConfigSchema = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description: 'address the ops server binds; anything but loopback needs tokenFile or tokenEnv',
    }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: '0 picks a free port' }),
    ...secretFieldSchema('token', { what: 'the bearer token every route but /healthz and /readyz needs', envPattern: '^[A-Z_][A-Z0-9_]*$' }),
    /** Filled in by the loader from tokenFile / tokenEnv; a token written in the file is refused. */
    token: Type.Optional(Type.String({ minLength: 16 })),
  },
  { additionalProperties: false },
);

/** Where and how the outbox is published (the publisher's settings plus the connection). */
export const KafkaConfigSchema = Type.Object(
  {
    ...PublisherConfigSchema.properties,
    brokers: Type.Optional(
      Type.Array(Type.String({ pattern: '^[^\\s:]+:\\d+$' }), { minItems: 1, description: 'host:port list (default: STREETWATCH_KAFKA_BROKERS)' }),
    ),
    clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'default edge-<gatewayId>' })),
  },
  { additionalProperties: false },
);

export const EvidenceConfigSchema = Type.Object(
  {
    jpegQuality: Type.Integer({ minimum: 1, maximum: 100, default: 80 }),
    store: Type.Optional(
      Type.Object(EvidenceStoreConfigSchema.properties, {
        additionalProperties: false,
        description: 'the evidence object store (S3 API); without it events carry no picture. Pictures wait in the outbox (outbox.maxPictureBytes)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Analytics settings shared by every camera (each camera may override single keys). */
export const AnalyticsConfigSchema = Type.Object(
  {
    motion: Type.Object(MotionConfigSchema.properties, { additionalProperties: false, default: {} }),
    staticObjects: Type.Object(StaticObjectConfigSchema.properties, { additionalProperties: false, default: {} }),
    tracker: Type.Object(TrackerConfigSchema.properties, { additionalProperties: false, default: {} }),
    /** Covered, blurred or moved cameras (the view against its learned reference). */
    tamper: Type.Object(TamperConfigSchema.properties, { additionalProperties: false, default: {} }),
    /** At most one `update` event per violation per interval. */
    updateIntervalSeconds: Type.Number({ exclusiveMinimum: 0, default: 60 }),
    offlineGraceSeconds: Type.Number({
      minimum: 0,
      maximum: 86_400,
      default: 120,
      description:
        "a camera offline this long ends its open violations (endReason camera_offline); back online sooner, they go on. Longer than a reconnect (watchdog backoff), shorter than anyone's patience",
    }),
  },
  { additionalProperties: false },
);

const AnalyticsOverrideSchema = Type.Object(
  {
    motion: Type.Optional(Type.Partial(withoutDefaults(MotionConfigSchema), { additionalProperties: false })),
    staticObjects: Type.Optional(Type.Partial(withoutDefaults(StaticObjectConfigSchema), { additionalProperties: false })),
    tracker: Type.Optional(Type.Partial(withoutDefaults(TrackerConfigSchema), { additionalProperties: false })),
    tamper: Type.Optional(Type.Partial(withoutDefaults(TamperConfigSchema), { additionalProperties: false })),
    updateIntervalSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    offlineGraceSeconds: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false, description: 'per-camera overrides of single analytics keys' },
);

/** A zone of the rules stage plus where it is in the city (copied into its events). */
export const GatewayZoneSchema = Type.Object(
  {
    ...ZoneSchema.properties,
    type: oneOf<ViolationType>(VIOLATION_TYPES, { description: 'which of the four violation rules the zone applies' }),
    shopId: Type.Optional(Id),
    gridId: Type.Optional(Id),
  },
  { additionalProperties: false },
);

export const GatewayCameraSchema = Type.Object(
  {
    id: Id,
    /** `type` selects the frame source (rtsp, hikvision, onvif, file); checked against that type's schema. */
    source: SourceConfig,
    enabled: Type.Boolean({ default: true }),
    analytic: Type.Object(AnalyticConfig.properties, { additionalProperties: false, default: {} }),
    watchdog: Type.Object(WatchdogConfig.properties, { additionalProperties: false, default: {} }),
    siteId: Type.Optional(Id),
    gridId: Type.Optional(Id),
    communityId: Type.Optional(Id),
    labels: Type.Optional(Labels),
    /** Violation zones, and `count_line` zones (counting/config.ts: each zone is checked by its type in parse.ts). */
    zones: Type.Array(GatewayZoneSchema, { default: [] }),
    analytics: Type.Optional(AnalyticsOverrideSchema),
    /** The camera's own analytics (Hikvision smart events over ISAPI) mapped into the same violation lifecycle. */
    isapi: Type.Optional(IsapiConfigSchema),
  },
  { additionalProperties: false },
);

export const GatewayConfigSchema = Type.Object(
  {
    gatewayId: Id,
    log: Type.Object({ level: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }) }, { additionalProperties: false, default: {} }),
    http: Type.Object(HttpConfigSchema.properties, { additionalProperties: false, default: {} }),
    kafka: Type.Object(KafkaConfigSchema.properties, { additionalProperties: false, default: {} }),
    outbox: OutboxConfigSchema,
    evidence: Type.Object(EvidenceConfigSchema.properties, { additionalProperties: false, default: {} }),
    detector: Type.Object(
      {
        ...DetectorConfigSchema.properties,
        maxQueuedFrames: Type.Optional(
          Type.Integer({
            minimum: 1,
            maximum: 1000,
            description:
              'frames waiting for the detector at most, all cameras together; past it the frame of the camera served most recently is dropped. Default: one per enabled camera (a camera never has more than one frame waiting), so cameras whose frames arrive together are all analysed; set it lower only to bound memory (one 640x480 frame is ~0.9 MB)',
          }),
        ),
        version: Type.Optional(
          Type.String({ minLength: 1, maxLength: 64, description: "model version in events (default: 'sha256:' + 12 hex of the model's JSON)" }),
        ),
      },
      { additionalProperties: false },
    ),
    analytics: Type.Object(AnalyticsConfigSchema.properties, { additionalProperties: false, default: {} }),
    /** Camera health on the wire: besides each change, a heartbeat per camera (CameraHealth heartbeat: true). */
    health: Type.Object(
      {
        heartbeatIntervalSeconds: Type.Number({
          minimum: 5,
          maximum: 3600,
          default: 60,
          description:
            "every camera's current state is re-stated this often, so the cloud can tell a silent box from a quiet one (the screen calls a camera offline after screen.cameraStaleAfterSeconds, 3 x this by default). 60 s: a dead box shows within ~3 min on the screen, at one small record per camera per minute (~300 B; the processor: one upsert per camera per minute)",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    cameras: Type.Array(GatewayCameraSchema, { minItems: 1 }),
    /** The live camera view: an outbound link to the router, a transcode per watched camera. */
    live: Type.Optional(LiveConfigSchema),
    shutdown: Type.Object(
      {
        /** Sources stop, open violations end ('shutdown'), the outbox drains to Kafka: all within this. */
        graceMs: ms(10_000, 100, 600_000),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, title: 'EdgeGatewayConfig' },
);

export type GatewayZoneConfig = Static<typeof GatewayZoneSchema>;
export type AnalyticsConfig = Static<typeof AnalyticsConfigSchema>;
export type AnalyticsOverride = Static<typeof AnalyticsOverrideSchema>;
export type GatewayCameraConfig = Static<typeof GatewayCameraSchema> & {
  analytic: AnalyticConfig;
  watchdog: WatchdogConfig;
  enabled: boolean;
  zones: GatewayZoneConfig[];
  /** The camera's `count_line` zones (listed in `zones` in the file; parse.ts moves them here, defaults applied). */
  countLines?: CountLine[];
};
type ShapedGatewayConfig = Static<typeof GatewayConfigSchema>;
/** The validated config; `evidence.objectStore` is `evidence.store` with its credentials resolved (parse.ts). */
export type GatewayConfig = Omit<ShapedGatewayConfig, 'evidence' | 'cameras'> & {
  evidence: ShapedGatewayConfig['evidence'] & { objectStore?: ObjectStore };
  cameras: GatewayCameraConfig[];
};
