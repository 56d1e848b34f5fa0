import { Type } from '@sinclair/typebox';
import { ConfigError, loadConfigFile, parseConfig, deepFreeze, validateConfigCommand } from '@streetwatch/platform';
import type { StorageChoice } from '@streetwatch/platform';
import type { FieldError, ViolationType } from '@streetwatch/schemas';
import { compileFilter, compileShopFilter, type EventFilter } from '../rules/filter.js';
import { compileSchedule, type ActiveAt } from '../rules/schedule.js';
import { DEFAULT_TITLES, unknownPlaceholders } from '../rules/template.js';
import { ms } from './duration.js';
import {
  ConfigFile,
  ProcessorSettings,
  RULE_SCHEMAS,
  type CountRule,
  type DwellRule,
  type RuleConfig,
  type RuleKind,
  type ScoreRule,
} from './schema.js';

interface RuleBase {
  readonly id: string;
  readonly severity: RuleConfig['severity'];
  readonly labels: Readonly<Record<string, string>>;
  readonly title: string;
  readonly cooldownMs: number;
  readonly graceMs: number;
  readonly matches: EventFilter;
  readonly activeAt: ActiveAt;
  /** The rule's validated config as JSON: a reload keeps a rule's state when its id and kind stay. */
  readonly fingerprint: string;
}
export interface CountSpec extends RuleBase {
  readonly kind: 'count';
  readonly threshold: number;
  readonly windowMs: number;
  readonly groupBy: 'zone' | 'camera';
}
export interface DwellSpec extends RuleBase {
  readonly kind: 'dwell';
  readonly minDurationMs: number;
}
export interface ScoreSpec extends RuleBase {
  readonly kind: 'score';
  readonly weight: (type: ViolationType) => number;
  readonly halfLifeMs: number;
  readonly yellow: number;
  readonly red: number;
  readonly rearmAt: 'yellow' | 'green';
  readonly inspections: boolean;
  readonly takesShop: (shopId: string) => boolean;
}
export type RuleSpec = CountSpec | DwellSpec | ScoreSpec;

/** Processor settings with durations in milliseconds. */
export interface Settings {
  readonly groupId: string;
  readonly topicPrefix: string;
  readonly consumer: {
    readonly partitionsConsumedConcurrently: number;
    readonly maxBytesPerPartition: number;
    readonly maxBytes: number;
    readonly maxWaitMs: number;
    readonly sessionTimeoutMs: number;
    readonly fromBeginning: boolean;
  };
  readonly time: {
    readonly maxOutOfOrdernessMs: number;
    readonly graceMs: number;
    readonly idleTimeoutMs: number;
    readonly punctuateIntervalMs: number;
    readonly stateTtlMs: number;
  };
  readonly checkpointIntervalMs: number;
  readonly engine: { readonly workers: number };
  readonly sink: {
    readonly enabled: boolean;
    readonly storage: StorageChoice;
    readonly batchSize: number;
    readonly flushIntervalMs: number;
    readonly maxBuffered: number;
    readonly retentionMs: { readonly detections: number; readonly cameraHealth: number; readonly alerts: number; readonly flowMinutes: number };
  };
  readonly ops: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  readonly shutdownGraceMs: number;
}

export interface ProcessorConfig {
  readonly source: string;
  readonly settings: Settings;
  /** Enabled rules, compiled. */
  readonly rules: readonly RuleSpec[];
  /** The config as read (plain data): engine worker threads compile their own rules from it. */
  readonly raw: unknown;
}

/** Read, validate (errors by path, as {@link ConfigError}) and compile a config file. */
export function loadProcessorConfig(file: string): ProcessorConfig {
  // Unreadable files and YAML syntax errors are reported by the platform loader; then both the
  // envelope and every rule are checked, so one run lists all the problems.
  const raw = loadConfigFile(Type.Unknown(), file);
  return compileConfig(raw, file);
}

/** Validate and compile an already-parsed config object (tests build configs in code). */
export function parseProcessorConfig(raw: unknown, source = 'config'): ProcessorConfig {
  return compileConfig(raw, source);
}

function compileConfig(raw: unknown, source: string): ProcessorConfig {
  const errors: FieldError[] = [];
  let envelope: { processor: ProcessorSettings; rules: ReadonlyArray<{ kind: string }> } | undefined;
  try {
    envelope = parseConfig(ConfigFile, raw, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(...e.errors);
  }
  const settings = toSettings(envelope?.processor ?? parseConfig(ConfigFile, {}, source).processor);
  const rawRules = envelope?.rules ?? (Array.isArray((raw as { rules?: unknown })?.rules) ? (raw as { rules: unknown[] }).rules : []);
  const rules: RuleSpec[] = [];
  const seen = new Map<string, number>();
  rawRules.forEach((item, i) => {
    const at = `/rules/${i}`;
    const rawId = (item as { id?: unknown } | null)?.id;
    if (typeof rawId === 'string') {
      const dup = seen.get(rawId);
      if (dup !== undefined) errors.push({ path: `${at}/id`, message: `duplicates rules.${dup}.id (${rawId})` });
      else seen.set(rawId, i);
    }
    const schema = RULE_SCHEMAS[(item as { kind?: string } | null)?.kind as RuleKind];
    if (!schema) {
      errors.push({ path: `${at}/kind`, message: `must be one of ${Object.keys(RULE_SCHEMAS).join(', ')}` });
      return;
    }
    let rule: RuleConfig;
    try {
      rule = parseConfig(schema, item, source) as RuleConfig;
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      for (const fe of e.errors) errors.push({ path: at + (fe.path === '/' ? '' : fe.path), message: fe.message });
      return;
    }
    const spec = compileRule(rule, settings, at, errors);
    if (spec && rule.enabled) rules.push(spec);
  });
  if (errors.length > 0) throw new ConfigError('SW_CONFIG_INVALID', source, errors);
  return deepFreeze({ source, settings, rules, raw });
}

function compileRule(rule: RuleConfig, settings: Settings, at: string, errors: FieldError[]): RuleSpec | undefined {
  const title = rule.title ?? DEFAULT_TITLES[rule.kind];
  const unknown = unknownPlaceholders(title);
  if (unknown.length > 0) errors.push({ path: `${at}/title`, message: `unknown placeholder(s): ${unknown.map((u) => `{${u}}`).join(', ')}` });
  let activeAt: ActiveAt;
  try {
    activeAt = compileSchedule(rule.schedule);
  } catch {
    errors.push({ path: `${at}/schedule/timezone`, message: `unknown time zone ${JSON.stringify(rule.schedule?.timezone)}` });
    return undefined;
  }
  const base = {
    id: rule.id,
    severity: rule.severity,
    labels: rule.labels,
    title,
    cooldownMs: rule.cooldown ? ms(rule.cooldown) : 0,
    graceMs: rule.grace ? ms(rule.grace) : settings.time.graceMs,
    matches: compileFilter(rule.filters),
    activeAt,
    fingerprint: JSON.stringify(rule),
  };
  switch (rule.kind) {
    case 'count':
      return compileCount(rule, base, at, errors);
    case 'dwell':
      return compileDwell(rule, base, at, errors);
    case 'score':
      return compileScore(rule, base, at, errors);
  }
}

type Base = Omit<RuleBase, never>;

function compileCount(rule: CountRule, base: Base, at: string, errors: FieldError[]): CountSpec {
  const windowMs = ms(rule.window);
  if (windowMs <= 0) errors.push({ path: `${at}/window`, message: 'must be longer than 0' });
  return { ...base, kind: 'count', threshold: rule.threshold, windowMs, groupBy: rule.groupBy };
}

function compileDwell(rule: DwellRule, base: Base, at: string, errors: FieldError[]): DwellSpec {
  const minDurationMs = ms(rule.minDuration);
  if (minDurationMs <= 0) errors.push({ path: `${at}/minDuration`, message: 'must be longer than 0' });
  return { ...base, kind: 'dwell', minDurationMs };
}

function compileScore(rule: ScoreRule, base: Base, at: string, errors: FieldError[]): ScoreSpec {
  const halfLifeMs = ms(rule.halfLife);
  if (halfLifeMs <= 0) errors.push({ path: `${at}/halfLife`, message: 'must be longer than 0' });
  if (rule.thresholds.red <= rule.thresholds.yellow) {
    errors.push({ path: `${at}/thresholds/red`, message: `must be greater than thresholds.yellow (${rule.thresholds.yellow})` });
  }
  const weights = rule.weights as Partial<Record<ViolationType, number>>;
  return {
    ...base,
    kind: 'score',
    weight: (type) => weights[type] ?? rule.defaultWeight,
    halfLifeMs,
    yellow: rule.thresholds.yellow,
    red: rule.thresholds.red,
    rearmAt: rule.rearmAt,
    inspections: rule.inspections,
    takesShop: compileShopFilter(rule.filters),
  };
}

function toSettings(p: ProcessorSettings): Settings {
  return {
    groupId: p.groupId,
    topicPrefix: p.topicPrefix,
    consumer: {
      partitionsConsumedConcurrently: p.consumer.partitionsConsumedConcurrently,
      maxBytesPerPartition: p.consumer.maxBytesPerPartition,
      maxBytes: p.consumer.maxBytes,
      maxWaitMs: ms(p.consumer.maxWaitTime),
      sessionTimeoutMs: ms(p.consumer.sessionTimeout),
      fromBeginning: p.consumer.fromBeginning,
    },
    time: {
      maxOutOfOrdernessMs: ms(p.time.maxOutOfOrderness),
      graceMs: ms(p.time.grace),
      idleTimeoutMs: ms(p.time.idleTimeout),
      punctuateIntervalMs: Math.max(10, ms(p.time.punctuateInterval)),
      stateTtlMs: ms(p.time.stateTtl),
    },
    checkpointIntervalMs: ms(p.checkpoint.interval),
    engine: { workers: p.engine.workers },
    sink: {
      enabled: p.sink.enabled,
      storage: p.sink.storage,
      batchSize: p.sink.batchSize,
      flushIntervalMs: ms(p.sink.flushInterval),
      maxBuffered: p.sink.maxBuffered,
      retentionMs: {
        detections: ms(p.sink.retention.detections),
        cameraHealth: ms(p.sink.retention.cameraHealth),
        alerts: ms(p.sink.retention.alerts),
        flowMinutes: ms(p.sink.retention.flowMinutes),
      },
    },
    ops: { host: p.ops.host, port: p.ops.port },
    logLevel: p.log.level,
    shutdownGraceMs: ms(p.shutdownGrace),
  };
}

/**
 * `--validate-config <file>`: one line per problem (`file: rules.2.window: ...`) on `err`, exit
 * code 0 when valid, 1 when not.
 */
export function validateProcessorConfig(
  file: string,
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  return validateConfigCommand(loadProcessorConfig, file, out, err, (c) => `${c.rules.length} enabled rule(s)`);
}
