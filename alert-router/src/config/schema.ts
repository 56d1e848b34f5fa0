/**
 * The router's configuration: one TypeBox schema, validated once at start by the platform's
 * parser (defaults, unknown keys refused, errors by path), frozen, passed down.
 *
 * Sections: `consumer`, `http`, `delivery` (queue + retry defaults), `departments` (who is told,
 * by which channels, per escalation target), `channels` (named instances, selected by `type`),
 * `routing` (an Alertmanager-like tree), `inhibitRules`, `workOrders` (owned by the work-order
 * half), `retention` (the periodic deletes over both halves' tables) and `clearance`.
 */
import { daysSchema, HHMM_PATTERN, ObjectStoreConfigSchema, secretFieldSchema } from '@streetwatch/platform';
import { Type, type Static } from '@sinclair/typebox';
// The work-order half owns its section (src/workorders/config.ts).
import { LiveConfig } from '../live/config.js';
import { ScreenConfig } from '../screen/config.js';
import { WorkOrdersConfig } from '../workorders/config.js';

/** `250ms`, `30s`, `5m`, `4h`, `1d`. */
export const Duration = Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' });
const StrOrList = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);
const HHMM = Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM local time (24:00: end of day)' });
const Name = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' });
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' });

/**
 * A secret is never inline: `<field>Env` names an environment variable, `<field>File` a file
 * (platform `secretFieldSchema`; exactly one, checked when it is resolved). The old object form
 * `<field>: { secretEnv | secretFile }` is converted with a deprecation line (config/load.ts).
 */

/**
 * Fields an alert is matched on: `type`, `severity`, `zone`, `grid`, `community`, `shop`, `site`,
 * `camera` (any of the alert's cameras), `ruleId`, `ruleKind`, and `labels.<name>`.
 */
const fieldProps = {
  type: Type.Optional(StrOrList),
  severity: Type.Optional(StrOrList),
  zone: Type.Optional(StrOrList),
  grid: Type.Optional(StrOrList),
  community: Type.Optional(StrOrList),
  shop: Type.Optional(StrOrList),
  site: Type.Optional(StrOrList),
  camera: Type.Optional(StrOrList),
  ruleId: Type.Optional(StrOrList),
  ruleKind: Type.Optional(StrOrList),
  labels: Type.Optional(Type.Record(Type.String({ minLength: 1 }), StrOrList)),
  /** field → regular expression (anchored), e.g. `{ "labels.department": "^chengguan-" }`. */
  regex: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }))),
};

export const TimeOfDay = Type.Object(
  {
    /** Local time window; `to` not after `from` crosses midnight (the same words as the edge's and the processor's schedules). */
    from: HHMM,
    to: HHMM,
    timezone: Type.String({ default: 'Asia/Shanghai' }),
    /** Days the window starts on, `mon` .. `sun`; all days when absent. (`weekdays: [1..7]` is its old form.) */
    days: Type.Optional(daysSchema()),
  },
  { additionalProperties: false },
);
export type TimeOfDay = Static<typeof TimeOfDay>;

export const Matcher = Type.Object({ ...fieldProps, timeOfDay: Type.Optional(TimeOfDay) }, { additionalProperties: false });
export type Matcher = Static<typeof Matcher>;
/** Silences match alert fields only (no time of day: a silence has its own start and end). */
export const SilenceMatcher = Type.Object(fieldProps, { additionalProperties: false });
export type SilenceMatcher = Static<typeof SilenceMatcher>;

const routeProps = {
  name: Type.Optional(Name),
  match: Type.Optional(Matcher),
  departments: Type.Optional(Type.Array(Id, { minItems: 1 })),
  /** Channel names; a department's own channels when absent. */
  channels: Type.Optional(Type.Array(Name, { minItems: 1 })),
  /** Keep matching the following sibling routes after this one matched. */
  continue: Type.Optional(Type.Boolean()),
  /** Alert fields that form a notification group; `['alertId']` (default) = one alert per notification. */
  groupBy: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  groupWait: Type.Optional(Duration),
  groupInterval: Type.Optional(Duration),
  repeatInterval: Type.Optional(Duration),
};

/** A routing node: settings inherit from the parent; the first matching child wins unless `continue`. */
export const Route = Type.Recursive(
  (Self) =>
    Type.Object({ ...routeProps, routes: Type.Optional(Type.Array(Self)) }, { additionalProperties: false }),
  { $id: 'AlertRouterRoute' },
);
export type Route = Static<typeof Route>;

export const InhibitRule = Type.Object(
  {
    /** An active alert matching `source` ... */
    source: SilenceMatcher,
    /** ... suppresses alerts matching `target` ... */
    target: SilenceMatcher,
    /** ... that have the same values of these fields (e.g. `['shop']`). */
    equal: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type InhibitRule = Static<typeof InhibitRule>;

// ---- channels ---------------------------------------------------------------------------------
const Window = Type.Object(
  { limit: Type.Integer({ minimum: 1 }), window: Duration },
  { additionalProperties: false },
);
export const Quota = Type.Object(
  { perNumber: Type.Optional(Window), perTemplate: Type.Optional(Window) },
  { additionalProperties: false },
);

const Url = Type.String({ pattern: '^https?://' });

/**
 * Delivery policy every channel has. Defaults (applied in code: ajv cannot fill defaults inside a
 * union): fallbackAfter 2, maxAttempts 6, concurrency 16, onUncertain resend, circuit 50 % of at
 * least 5 calls in 60 s, reset 30 s; timeout and backoff from `delivery`.
 */
const policy = {
  /** Channel to use after `fallbackAfter` failed attempts or while this channel's circuit is open. */
  fallback: Type.Optional(Name),
  fallbackAfter: Type.Optional(Type.Integer({ minimum: 1 })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
  timeout: Type.Optional(Duration),
  backoff: Type.Optional(
    Type.Object(
      { initial: Duration, max: Duration, factor: Type.Optional(Type.Number({ minimum: 1, maximum: 10 })) },
      { additionalProperties: false },
    ),
  ),
  circuit: Type.Optional(
    Type.Object(
      {
        /** Percentage of failed calls in the rolling window that opens the circuit. */
        errorThresholdPercentage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
        /** Calls in the window before the circuit may open. */
        volumeThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
        /** Time open before one trial call (half-open). */
        reset: Type.Optional(Duration),
        rollingWindow: Type.Optional(Duration),
      },
      { additionalProperties: false },
    ),
  ),
  /** Parallel sends on this channel. */
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 256 })),
  /**
   * After a crash between recording the intent and recording the outcome: `resend` with the same
   * idempotency key (the delivery is marked uncertain), or `hold` (mark uncertain, do not resend).
   */
  onUncertain: Type.Optional(Type.Union([Type.Literal('resend'), Type.Literal('hold')])),
};

export const AliyunSmsChannel = Type.Object(
  {
    type: Type.Literal('sms-aliyun'),
    endpoint: Type.Optional(Url),
    method: Type.Optional(Type.Union([Type.Literal('GET'), Type.Literal('POST')])),
    regionId: Type.Optional(Type.String({ minLength: 1 })),
    accessKeyId: Type.String({ minLength: 1 }),
    ...secretFieldSchema('accessKeySecret'),
    signName: Type.String({ minLength: 1 }),
    templateCode: Type.String({ minLength: 1 }),
    /** Template variable that gets the evidence short link (the template must declare it, e.g. `${link}`); absent: none sent. */
    evidenceLinkParam: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[A-Za-z][A-Za-z0-9_]*$' })),
    quota: Type.Optional(Quota),
    ...policy,
  },
  { additionalProperties: false },
);
export const TencentSmsChannel = Type.Object(
  {
    type: Type.Literal('sms-tencent'),
    endpoint: Type.Optional(Url),
    region: Type.Optional(Type.String({ minLength: 1 })),
    secretId: Type.String({ minLength: 1 }),
    ...secretFieldSchema('secretKey'),
    smsSdkAppId: Type.String({ minLength: 1 }),
    signName: Type.String({ minLength: 1 }),
    templateId: Type.String({ minLength: 1 }),
    /** Send the evidence short link as a 4th template parameter (the template must have {4}). */
    evidenceLink: Type.Optional(Type.Boolean()),
    quota: Type.Optional(Quota),
    ...policy,
  },
  { additionalProperties: false },
);
export const DingtalkChannel = Type.Object(
  {
    type: Type.Literal('dingtalk'),
    endpoint: Type.Optional(Url),
    ...secretFieldSchema('accessToken'),
    /** The robot's signing secret (`SEC...`), for the 加签 security setting. */
    ...secretFieldSchema('signSecret'),
    ...policy,
  },
  { additionalProperties: false },
);
export const WecomChannel = Type.Object(
  {
    type: Type.Literal('wecom'),
    endpoint: Type.Optional(Url),
    ...secretFieldSchema('key'),
    msgtype: Type.Optional(Type.Union([Type.Literal('markdown'), Type.Literal('news')])),
    ...policy,
  },
  { additionalProperties: false },
);
export const WebhookChannel = Type.Object(
  { type: Type.Literal('webhook'), url: Url, ...secretFieldSchema('signSecret'), ...policy },
  { additionalProperties: false },
);
export const KafkaDeptChannel = Type.Object({ type: Type.Literal('kafka-dept'), ...policy }, { additionalProperties: false });
export const ConsoleChannel = Type.Object({ type: Type.Literal('console'), ...policy }, { additionalProperties: false });

export const ChannelConfig = Type.Union([
  AliyunSmsChannel,
  TencentSmsChannel,
  DingtalkChannel,
  WecomChannel,
  WebhookChannel,
  KafkaDeptChannel,
  ConsoleChannel,
]);
export type ChannelConfig = Static<typeof ChannelConfig>;

/** Policy defaults for channel configs (see above). */
export const CHANNEL_DEFAULTS = { fallbackAfter: 2, maxAttempts: 6, concurrency: 16, onUncertain: 'resend' } as const;
export type ChannelType = ChannelConfig['type'];

const Target = Type.Object(
  {
    channels: Type.Array(Name, { minItems: 1 }),
    /** Phone numbers for SMS channels, E.164 (`+8613800000000`). */
    phones: Type.Optional(Type.Array(Type.String({ pattern: '^\\+[0-9]{6,15}$' }))),
  },
  { additionalProperties: false },
);

export const Department = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    /** Channels for the department itself (target `department`). */
    channels: Type.Array(Name, { minItems: 1 }),
    phones: Type.Optional(Type.Array(Type.String({ pattern: '^\\+[0-9]{6,15}$' }))),
    /** Escalation targets: `on-duty`, `head`, `next-level`. */
    targets: Type.Optional(
      Type.Object(
        { 'on-duty': Type.Optional(Target), head: Type.Optional(Target), 'next-level': Type.Optional(Target) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Department = Static<typeof Department>;

/** How long to keep something: a duration, or `forever` (never deleted by the retention job). */
const Keep = (dflt: string, description: string) =>
  Type.Union([Duration, Type.Literal('forever')], { default: dflt, description });

/**
 * Retention (src/retention): what the periodic job deletes, and after how long. Rows still in use
 * are never deleted whatever the age: open work orders, alerts not yet notified, deliveries not
 * finished (pending, in flight, retrying, held, dead), events not yet published to Kafka.
 */
export const RetentionConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** How often the job runs (also once shortly after start). */
    interval: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '1h' }),
    /** Rows per DELETE statement (each its own short transaction). */
    batchSize: Type.Integer({ minimum: 10, maximum: 100000, default: 5000 }),
    /** router_alerts + group memberships: the dedup window. Keep it past the alerts topic's retention (30 d). */
    alerts: Keep('35d', 'dedup rows of notified alerts, counted from receipt'),
    /** Finished deliveries (sent, or moved to the fallback channel) and published Delivery events. */
    deliveries: Keep('30d', 'finished deliveries and published attempt events, counted from their last change'),
    silences: Keep('90d', 'silences, counted from their end'),
    /** api_audit. Chinese law asks network logs to be kept at least six months. */
    audit: Keep('365d', 'API audit rows'),
    /** Closed work orders (and returned ones already re-dispatched) with history, photos, escalations, feedback. */
    workOrders: Keep('730d', 'finished work orders, counted from their last change'),
    /** Violation ends kept for work orders created later. */
    violationEnds: Keep('7d', 'violation ends kept for work orders not created yet'),
  },
  { additionalProperties: false, default: {} },
);
export type RetentionConfig = Static<typeof RetentionConfig>;

const EvidenceDuration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

/**
 * `evidence`: where the pictures are (S3 API, a read-only identity) and how links to them are
 * made. Without it, work orders show their pictures as unavailable and channels send none.
 */
export const EvidenceConfig = Type.Object(
  {
    store: Type.Object(ObjectStoreConfigSchema.properties, { additionalProperties: false, description: 'the evidence bucket; the identity needs GetObject under edge/ only' }),
    /** HMAC-SHA256 key of the link tokens (≥ 32 bytes of randomness). Rotating it ends every outstanding link. */
    ...secretFieldSchema('signingKey', { what: 'the link signing key' }),
    /** Public base of the links (the ingress that routes /e/ to the router), e.g. https://sw.example.gov.cn */
    publicBaseUrl: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 512 }),
    ttl: Type.Object(
      {
        console: EvidenceDuration('5m', 'console and API links: fetched at once by the page that asked'),
        sms: EvidenceDuration('24h', 'SMS short links: read within an on-duty shift'),
        robot: EvidenceDuration('24h', "robots' picurl: DingTalk/WeCom fetch it when the message is shown, members scroll back within a day"),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);
export type EvidenceConfig = Static<typeof EvidenceConfig>;

export const RouterConfig = Type.Object(
  {
    instanceId: Type.String({ minLength: 1, default: 'alert-router' }),
    consumer: Type.Object(
      { groupId: Type.String({ minLength: 1, default: 'alert-router' }) },
      { additionalProperties: false, default: {} },
    ),
    http: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 8090 }),
        /**
         * Addresses/CIDRs of the reverse proxies in front (the ingress). Only then is
         * X-Forwarded-For believed: per-IP rate limits and the failed-login throttle see clients,
         * not the proxy. Empty: the peer address.
         */
        trustProxy: Type.Array(Type.String({ minLength: 1, pattern: '^[0-9A-Fa-f.:/]+$' }), { default: [] }),
      },
      { additionalProperties: false, default: {} },
    ),
    delivery: Type.Object(
      {
        /** How often the queue is polled for due retries and flushes (the fast path does not wait for it). */
        poll: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '250ms' }),
        /** An in-flight attempt older than its timeout + this grace is from a dead process: uncertain. */
        leaseGrace: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '5s' }),
        timeout: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '5s' }),
        backoff: Type.Object(
          {
            initial: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '1s' }),
            max: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '5m' }),
            factor: Type.Number({ minimum: 1, maximum: 10, default: 2 }),
          },
          { additionalProperties: false, default: {} },
        ),
        /** Alerts without an end are considered active this long after they arrived (inhibition, repeats). */
        resolveTimeout: Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: '1h' }),
      },
      { additionalProperties: false, default: {} },
    ),
    departments: Type.Record(Id, Department),
    /** Evidence pictures: the store and the signed links (absent: pictures are unavailable). */
    evidence: Type.Optional(EvidenceConfig),
    channels: Type.Record(Name, ChannelConfig),
    routing: Type.Object({ route: Route }, { additionalProperties: false }),
    inhibitRules: Type.Array(InhibitRule, { default: [] }),
    /** Owned by the work-order half; its defaults apply when absent. */
    workOrders: Type.Optional(WorkOrdersConfig),
    /** The overview screen for the command centre (`/screen`). */
    screen: ScreenConfig,
    /** The live camera view (absent: none): gateways that may connect, cameras and the departments owning their zones. */
    live: Type.Optional(LiveConfig),
    retention: RetentionConfig,
    /** Violation ends (detections topic) attached to work orders as clearance evidence; on when absent. */
    clearance: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean({ default: true }),
          /** Consumer group; default `<consumer.groupId>-clearance`. */
          groupId: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RouterConfig = Static<typeof RouterConfig>;
