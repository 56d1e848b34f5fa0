import { Type, type Static } from '@sinclair/typebox';
import { daysSchema, EVERY_DAY, HHMM_PATTERN } from '@streetwatch/platform';
import { Duration } from './duration.js';

/**
 * The processor's config file: `processor` (how it runs; changes need a restart) and `rules`
 * (what deserves an alert; reloaded on SIGHUP or file change). Every object refuses unknown keys.
 * Rules are validated in a second pass against the schema of their `kind`, so an error names the
 * rule's own field (`rules.2.window`) instead of one complaint per possible kind.
 */
const strict = { additionalProperties: false } as const;

const RuleId = Type.String({ minLength: 1, maxLength: 120, pattern: '^[A-Za-z0-9._-]+$' });
const IdList = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 1000, uniqueItems: true });
const ViolationTypeName = Type.Union([
  Type.Literal('illegal_parking'),
  Type.Literal('street_vendor'),
  Type.Literal('shopfront_spillover'),
  Type.Literal('dumping'),
]);

export const Filters = Type.Object(
  {
    types: Type.Optional(Type.Array(ViolationTypeName, { minItems: 1, uniqueItems: true })),
    cameraIds: Type.Optional(IdList),
    zoneIds: Type.Optional(IdList),
    gridIds: Type.Optional(IdList),
    communityIds: Type.Optional(IdList),
    shopIds: Type.Optional(IdList),
  },
  { ...strict, default: {} },
);
export type Filters = Static<typeof Filters>;

const ClockTime = Type.String({ pattern: HHMM_PATTERN, description: 'HH:MM, local time' });

/** When a rule may alert, in local time; `to` not after `from` crosses midnight (platform time-windows, as at the edge and in the router). Absent: always. */
export const Schedule = Type.Object(
  {
    timezone: Type.String({ minLength: 1, default: 'Asia/Shanghai' }),
    windows: Type.Array(
      Type.Object(
        {
          days: daysSchema({ default: [...EVERY_DAY] }),
          from: ClockTime,
          to: ClockTime,
        },
        strict,
      ),
      { minItems: 1 },
    ),
  },
  strict,
);
export type Schedule = Static<typeof Schedule>;

const common = {
  id: RuleId,
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  enabled: Type.Boolean({ default: true }),
  severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' }),
  filters: Filters,
  /** Minimum event time between two alerts of this rule for the same key (dwell: the same zone). */
  cooldown: Type.Optional(Duration()),
  schedule: Type.Optional(Schedule),
  /** Routing labels copied onto every alert: department hint, grid, community... */
  labels: Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 256 }), { default: {} }),
  /** Alert title; placeholders in braces, e.g. `{count} {type} in {zoneId} ({cameraId})`. */
  title: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
  /** How far behind the partition watermark an event may be and still count (default: processor.time.grace). */
  grace: Type.Optional(Duration()),
};

export const CountRule = Type.Object(
  {
    kind: Type.Literal('count'),
    ...common,
    /** Alert when at least `threshold` violation starts fall within `window` (event time). */
    threshold: Type.Integer({ minimum: 1, maximum: 500 }),
    window: Duration(),
    /** State key: one camera's zone (default) or the whole camera. Type is always part of the key. */
    groupBy: Type.Union([Type.Literal('zone'), Type.Literal('camera')], { default: 'zone' }),
  },
  strict,
);
export type CountRule = Static<typeof CountRule>;

export const DwellRule = Type.Object(
  {
    kind: Type.Literal('dwell'),
    ...common,
    /** Alert when one violation has lasted this long since its `startedAt`; its `end` cancels. */
    minDuration: Duration(),
  },
  strict,
);
export type DwellRule = Static<typeof DwellRule>;

export const ScoreRule = Type.Object(
  {
    kind: Type.Literal('score'),
    ...common,
    /** Points a violation start adds to its shop's score, by type (missing types add `defaultWeight`). */
    weights: Type.Object(
      {
        illegal_parking: Type.Optional(Type.Number()),
        street_vendor: Type.Optional(Type.Number()),
        shopfront_spillover: Type.Optional(Type.Number()),
        dumping: Type.Optional(Type.Number()),
      },
      { ...strict, default: {} },
    ),
    defaultWeight: Type.Number({ default: 10 }),
    /** Points halve every `halfLife` of event time. */
    halfLife: Duration(),
    thresholds: Type.Object({ yellow: Type.Number({ exclusiveMinimum: 0 }), red: Type.Number({ exclusiveMinimum: 0 }) }, strict),
    /** After a red alert, the shop must fall to this colour before it can alert again. */
    rearmAt: Type.Union([Type.Literal('yellow'), Type.Literal('green')], { default: 'yellow' }),
    /** Apply InspectionRecords (their `points`) to the score. */
    inspections: Type.Boolean({ default: true }),
  },
  strict,
);
export type ScoreRule = Static<typeof ScoreRule>;

export type RuleConfig = CountRule | DwellRule | ScoreRule;
export const RULE_SCHEMAS = { count: CountRule, dwell: DwellRule, score: ScoreRule } as const;
export type RuleKind = keyof typeof RULE_SCHEMAS;

export const ProcessorSettings = Type.Object(
  {
    /** Consumer group; also the key of this group's task snapshots in PostgreSQL. */
    groupId: Type.String({ minLength: 1, maxLength: 200, default: 'stream-processor' }),
    /** Topic namespace prefix (tests, staging); empty in production. */
    topicPrefix: Type.String({ maxLength: 100, default: '' }),
    consumer: Type.Object(
      {
        partitionsConsumedConcurrently: Type.Integer({ minimum: 1, maximum: 64, default: 3 }),
        maxBytesPerPartition: Type.Integer({ minimum: 1024, default: 1048576 }),
        maxBytes: Type.Integer({ minimum: 1024, default: 10485760 }),
        maxWaitTime: Duration('500ms'),
        sessionTimeout: Duration('10s'),
        fromBeginning: Type.Boolean({ default: true }),
      },
      { ...strict, default: {} },
    ),
    time: Type.Object(
      {
        /** Watermark = max event time seen on a partition minus this. */
        maxOutOfOrderness: Duration('5s'),
        /** Default per-rule grace (how far behind the watermark an event may still count). */
        grace: Duration('10s'),
        /** A partition with no message for this long (wall clock) has its watermark advanced by the punctuator. */
        idleTimeout: Duration('30s'),
        punctuateInterval: Duration('1s'),
        /** Open state not touched for this long (event time) is dropped (e.g. a violation whose end never came). */
        stateTtl: Duration('24h'),
      },
      { ...strict, default: {} },
    ),
    checkpoint: Type.Object({ interval: Duration('1s') }, { ...strict, default: {} }),
    engine: Type.Object(
      {
        /**
         * Worker threads that decode, validate and run the rules (tasks are spread over them by
         * partition number); 0 runs them on the consumer's thread.
         */
        workers: Type.Integer({ minimum: 0, maximum: 16, default: 1 }),
      },
      { ...strict, default: {} },
    ),
    sink: Type.Object(
      {
        enabled: Type.Boolean({ default: true }),
        /**
         * History storage: `timescaledb` (hypertables, continuous aggregates, retention policies;
         * fails at start when the extension cannot be enabled), `plain` (day partitions, rollup
         * tables, the sink's own retention job) or `auto` (TimescaleDB where it can be enabled).
         */
        storage: Type.Union([Type.Literal('auto'), Type.Literal('timescaledb'), Type.Literal('plain')], { default: 'auto' }),
        batchSize: Type.Integer({ minimum: 1, maximum: 100000, default: 5000 }),
        flushInterval: Duration('250ms'),
        /** Rows buffered before producers of rows wait for a flush (back-pressure). */
        maxBuffered: Type.Integer({ minimum: 1, default: 100000 }),
        retention: Type.Object(
          {
            detections: Duration('90d'),
            cameraHealth: Duration('30d'),
            alerts: Duration('365d'),
            /** Flow-count minute rows (the hourly rollup is kept: it is the long-term profile). */
            flowMinutes: Duration('35d'),
          },
          { ...strict, default: {} },
        ),
      },
      { ...strict, default: {} },
    ),
    ops: Type.Object(
      {
        host: Type.String({ default: '0.0.0.0' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 9464 }),
      },
      { ...strict, default: {} },
    ),
    log: Type.Object({ level: Type.String({ default: 'info' }) }, { ...strict, default: {} }),
    shutdownGrace: Duration('20s'),
  },
  { ...strict, default: {} },
);
export type ProcessorSettings = Static<typeof ProcessorSettings>;

/** First pass: the envelope. Each rule is checked against its kind's schema afterwards. */
export const ConfigFile = Type.Object(
  {
    processor: ProcessorSettings,
    rules: Type.Array(Type.Object({ kind: Type.String(), id: Type.Optional(Type.String()) }), { default: [] }),
  },
  strict,
);
