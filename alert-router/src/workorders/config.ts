import { Type, type Static } from '@sinclair/typebox';
import { secretFieldSchema } from '@streetwatch/platform';

/**
 * The `workOrders` section of the router's config: deadlines, escalation chains, department users,
 * API limits, uploads and the console. Every object rejects unknown keys; defaults are filled in by
 * the platform's `parseConfig`.
 */

const Seconds = (description: string, dflt?: number) =>
  Type.Integer({ minimum: 0, maximum: 30 * 24 * 3600, description, ...(dflt === undefined ? {} : { default: dflt }) });

/** Time allowed for each step, counted from the step before it. 0 = no deadline for that step. */
export const StepDeadlines = Type.Object(
  {
    signWithinS: Type.Optional(Seconds('签收: from dispatch to sign')),
    handleWithinS: Type.Optional(Seconds('处置: from sign to handle')),
    verifyWithinS: Type.Optional(Seconds('核查: from handle to verify')),
  },
  { additionalProperties: false },
);
export type StepDeadlines = Static<typeof StepDeadlines>;

export const EscalationTargetSchema = Type.Union([
  Type.Literal('department'),
  Type.Literal('on-duty'),
  Type.Literal('head'),
  Type.Literal('next-level'),
]);

/**
 * One chain: level i fires at `deadline + steps[i].afterS`; past the last step the last target is
 * notified again every `repeatEveryS` (0 = never) until `maxLevels` levels have fired.
 */
export const EscalationChain = Type.Object(
  {
    steps: Type.Array(
      Type.Object({ afterS: Seconds('seconds after the missed deadline'), target: EscalationTargetSchema }, { additionalProperties: false }),
      { minItems: 1, maxItems: 10 },
    ),
    repeatEveryS: Seconds('repeat the last step this often; 0 = no repeat', 1800),
    maxLevels: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  },
  { additionalProperties: false },
);
export type EscalationChain = Static<typeof EscalationChain>;

export const Role = Type.Union([Type.Literal('staff'), Type.Literal('head'), Type.Literal('supervisor')]);
export type Role = Static<typeof Role>;

const Hex64 = Type.String({ pattern: '^[a-f0-9]{64}$' });

/**
 * A department user. Tokens: API tokens issued by `alert-router tokens issue` (kept hashed in
 * PostgreSQL, each with an expiry; the rotation path), and/or one token in config given as its
 * sha256 (hex), or read from a file, or from an environment variable that main.ts passes in
 * `deps.env`, optionally with `tokenExpiresAt`. The token itself never appears in config.
 */
export const UserConfig = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    departmentId: Type.String({ minLength: 1, maxLength: 200 }),
    role: Role,
    tokenSha256: Type.Optional(Hex64),
    ...secretFieldSchema('token', { what: "the user's API token", envPattern: '^[A-Z_][A-Z0-9_]*$' }),
    /** The config token is refused from this instant on (ISO 8601 with a zone, e.g. 2027-03-01T00:00:00+08:00). */
    tokenExpiresAt: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type UserConfig = Static<typeof UserConfig>;

export const DepartmentConfig = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    name: Type.String({ minLength: 1, maxLength: 128 }),
    escalation: Type.Optional(EscalationChain),
  },
  { additionalProperties: false },
);

export const WorkOrdersConfig = Type.Object(
  {
    /** Time zone for human-readable times ("cleared at 14:15:40"). */
    timeZone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
    deadlines: Type.Object(
      {
        default: Type.Object(
          {
            signWithinS: Seconds('签收 within', 600),
            handleWithinS: Seconds('处置 within', 7200),
            verifyWithinS: Seconds('核查 within', 86400),
          },
          { additionalProperties: false, default: {} },
        ),
        byType: Type.Object(
          {
            illegal_parking: Type.Optional(StepDeadlines),
            street_vendor: Type.Optional(StepDeadlines),
            shopfront_spillover: Type.Optional(StepDeadlines),
            dumping: Type.Optional(StepDeadlines),
            shop_red: Type.Optional(StepDeadlines),
            camera_tampered: Type.Optional(StepDeadlines),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    escalation: Type.Object(
      {
        tickIntervalMs: Type.Integer({ minimum: 10, maximum: 600000, default: 5000 }),
        default: Type.Optional(EscalationChain),
      },
      { additionalProperties: false, default: {} },
    ),
    departments: Type.Array(DepartmentConfig, { default: [], maxItems: 1000 }),
    users: Type.Array(UserConfig, { default: [], maxItems: 10000 }),
    api: Type.Object(
      {
        /** Requests per window per user (per IP when no token is presented). */
        rateLimitMax: Type.Integer({ minimum: 1, default: 600 }),
        rateLimitWindowMs: Type.Integer({ minimum: 1000, default: 60000 }),
        /**
         * Failed logins per IP per minute before that IP's further failures answer 429 instead of
         * 401. A valid token is always checked first and let through (never locked out).
         */
        authFailuresPerMinute: Type.Integer({ minimum: 1, default: 20 }),
        /** Lifetime of a token made by `alert-router tokens issue` when no --days is given. */
        tokenDays: Type.Integer({ minimum: 1, maximum: 400, default: 90 }),
        pageSizeMax: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }),
      },
      { additionalProperties: false, default: {} },
    ),
    uploads: Type.Object(
      {
        dir: Type.String({ minLength: 1, default: './data/work-order-photos' }),
        maxFileBytes: Type.Integer({ minimum: 1024, maximum: 50 * 1024 * 1024, default: 5 * 1024 * 1024 }),
        maxFiles: Type.Integer({ minimum: 1, maximum: 20, default: 4 }),
        allowedTypes: Type.Array(Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('image/webp')]), {
          minItems: 1,
          default: ['image/jpeg', 'image/png'],
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    outbox: Type.Object(
      {
        pollIntervalMs: Type.Integer({ minimum: 10, maximum: 60000, default: 500 }),
        batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
      },
      { additionalProperties: false, default: {} },
    ),
    console: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /**
         * Push what other router instances do too (PostgreSQL LISTEN/NOTIFY on one pooled
         * connection); false: each instance's consoles see only that instance's events live.
         */
        crossInstance: Type.Boolean({ default: true }),
        title: Type.String({ minLength: 1, maxLength: 128, default: '小河街道 · 工单处置台' }),
        /** Optional map frame for the inline SVG pin (no external tiles: closed network). */
        map: Type.Optional(
          Type.Object(
            {
              minLat: Type.Number({ minimum: -90, maximum: 90 }),
              maxLat: Type.Number({ minimum: -90, maximum: 90 }),
              minLon: Type.Number({ minimum: -180, maximum: 180 }),
              maxLon: Type.Number({ minimum: -180, maximum: 180 }),
            },
            { additionalProperties: false },
          ),
        ),
        /** SSE keep-alive comment interval. */
        heartbeatMs: Type.Integer({ minimum: 1000, maximum: 120000, default: 15000 }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, title: 'WorkOrdersConfig' },
);
export type WorkOrdersConfig = Static<typeof WorkOrdersConfig>;

/** The built-in chain when neither the department nor `escalation.default` sets one. */
export const DEFAULT_CHAIN: EscalationChain = {
  steps: [
    { afterS: 0, target: 'on-duty' },
    { afterS: 600, target: 'head' },
    { afterS: 1800, target: 'next-level' },
  ],
  repeatEveryS: 1800,
  maxLevels: 10,
};
