/**
 * Reading the router config: old spellings converted (one deprecation line each, for one
 * version; README "Renamed settings"), then the schema (config/schema.ts), then the
 * cross-references (config/references.ts).
 *
 * - Secrets: `<field>: { secretEnv: X }` / `{ secretFile: P }` → `<field>Env: X` / `<field>File: P`
 *   (platform `applySecretObjects`), as every other secret in every service is named.
 * - Time windows: `timeOfDay.weekdays: [1..7]` (ISO, 1 = Monday) → `timeOfDay.days: [mon..sun]`,
 *   the edge's and the processor's word and names.
 */
import { applySecretObjects, ConfigError, dotted, loadConfigFile, parseConfig, WEEKDAYS, type SecretObjectField } from '@streetwatch/platform';
import type { FieldError } from '@streetwatch/schemas';
import { Type } from '@sinclair/typebox';
import { checkReferences } from './references.js';
import { RouterConfig } from './schema.js';

const CHANNEL_SECRETS = ['accessKeySecret', 'secretKey', 'accessToken', 'signSecret', 'key'];

/** The router's secrets that had the object form (every one it has but users' tokens and the object store's key). */
export const SECRET_OBJECT_FIELDS: readonly SecretObjectField[] = [
  ...CHANNEL_SECRETS.map((field) => ({ at: '/channels/*', field })),
  { at: '/evidence', field: 'signingKey' },
  { at: '/live', field: 'signingKey' },
];

/**
 * Validate a parsed YAML/JSON value as the router config (old spellings converted, references
 * checked). Throws ConfigError listing every problem by key path; `onDeprecated` gets one line
 * per old spelling used (main.ts logs them).
 */
export function parseRouterConfig(raw: unknown, source = 'config', onDeprecated: (line: string) => void = () => undefined): RouterConfig {
  const secrets = applySecretObjects(raw, SECRET_OBJECT_FIELDS);
  const days = convertWeekdays(secrets.value);
  const errors: FieldError[] = [...secrets.errors, ...days.errors];
  for (const line of [...secrets.deprecations, ...days.deprecations]) onDeprecated(`${source}: ${line}`);
  let cfg: RouterConfig | undefined;
  try {
    cfg = parseConfig(RouterConfig, days.value, source) as RouterConfig;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    errors.push(...e.errors);
  }
  if (errors.length > 0 || cfg === undefined) throw new ConfigError('SW_CONFIG_INVALID', source, errors);
  checkReferences(cfg, source);
  return cfg;
}

/** Read a YAML or JSON file as the router config (see parseRouterConfig). */
export function loadRouterConfig(file: string, onDeprecated?: (line: string) => void): RouterConfig {
  return parseRouterConfig(loadConfigFile(Type.Unknown(), file), file, onDeprecated);
}

/** `weekdays: [1..7]` → `days: [mon..sun]` in every route's `match.timeOfDay` (routes nest). */
function convertWeekdays(raw: unknown): { value: unknown; deprecations: string[]; errors: FieldError[] } {
  const value = structuredClone(raw);
  const used: string[] = [];
  const errors: FieldError[] = [];
  const visit = (route: unknown, path: string): void => {
    if (route === null || typeof route !== 'object') return;
    const r = route as { match?: { timeOfDay?: Record<string, unknown> }; routes?: unknown };
    const tod = r.match?.timeOfDay;
    if (tod !== null && typeof tod === 'object' && Object.prototype.hasOwnProperty.call(tod, 'weekdays')) {
      const at = `${path}/match/timeOfDay`;
      const old = tod.weekdays;
      if (Object.prototype.hasOwnProperty.call(tod, 'days')) {
        errors.push({ path: `${at}/weekdays`, message: `is the old name of ${dotted(`${at}/days`)}, which is set too: keep only days` });
      } else if (!Array.isArray(old) || !old.every((d) => Number.isInteger(d) && (d as number) >= 1 && (d as number) <= 7)) {
        errors.push({ path: `${at}/weekdays`, message: 'must be a list of ISO weekdays 1 (Mon) .. 7 (Sun); write days: [mon, ..., sun] instead' });
      } else {
        tod.days = (old as number[]).map((d) => WEEKDAYS[d % 7]);
        used.push(`${at}/weekdays`);
      }
      delete tod.weekdays;
    }
    if (Array.isArray(r.routes)) r.routes.forEach((child, i) => visit(child, `${path}/routes/${i}`));
  };
  const routing = (value as { routing?: { route?: unknown } } | null)?.routing;
  if (routing !== null && typeof routing === 'object') visit(routing.route, '/routing/route');
  const first = used[0];
  const more = used.length > 1 ? ` (and ${used.length - 1} more)` : '';
  const deprecations =
    first === undefined ? [] : [`config key ${dotted(first)}${more}: "weekdays" (1-7) is deprecated and will be refused in the next version; write "days" with day names (e.g. days: [sat, sun])`];
  return { value, deprecations, errors };
}
