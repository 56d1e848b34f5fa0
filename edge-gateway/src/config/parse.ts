/**
 * Parse and check the gateway config once at start: defaults filled in, unknown keys refused,
 * every problem reported by key path (`cameras.1.source.port: must be <= 65535`), then frozen.
 *
 * A camera's `source` is checked against the schema its `type` selects (not as a union, which
 * would report one error per union member), and a few rules a schema cannot say are checked
 * here: unique camera ids, unique zone ids per camera, known time zones.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { applyRenames, ConfigError, deepFreeze, loadConfigFile, parseConfig, resolveObjectStore, validateConfigCommand, type KeyRename } from '@streetwatch/platform';
import type { FieldError } from '@streetwatch/schemas';
import { FileSourceConfig, HikvisionSourceConfig, OnvifSourceConfig, RtspSourceConfig, passwordProblems, type CameraConfig, type SourceConfig } from '../cameras/config.js';
import { COUNT_LINE, CountLineSchema, countLineProblems, resolveCountLine, type CountLineConfig } from '../counting/config.js';
import { resolveIsapiConfig } from '../isapi/config.js';
import { resolveZone, VIOLATION_TYPES } from '../rules/config.js';
import { resolveLiveToken } from '../live/config.js';
import { resolveHttpToken, resolveSourceSecrets, type SecretContext } from './secrets.js';
import { GatewayCameraSchema, GatewayConfigSchema, GatewayZoneSchema, type AnalyticsConfig, type GatewayCameraConfig, type GatewayConfig, type GatewayZoneConfig } from './schema.js';

const SOURCE_SCHEMAS: Readonly<Record<string, TSchema>> = {
  rtsp: RtspSourceConfig,
  hikvision: HikvisionSourceConfig,
  onvif: OnvifSourceConfig,
  file: FileSourceConfig,
};

/** The root schema with each camera's `source` left open: it is checked by its own type's schema. */
const ShapeSchema = Type.Object(
  {
    ...GatewayConfigSchema.properties,
    cameras: Type.Array(
      Type.Object({ ...GatewayCameraSchema.properties, source: Type.Unknown(), zones: Type.Array(Type.Unknown(), { default: [] }) }, { additionalProperties: false }),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

function errorsOf(e: unknown): FieldError[] {
  if (e instanceof ConfigError) return e.errors;
  throw e;
}

function under(prefix: string, errors: readonly FieldError[]): FieldError[] {
  return errors.map((e) => ({ path: e.path === '/' ? prefix : `${prefix}${e.path}`, message: e.message }));
}

function checkSource(raw: unknown, prefix: string, secrets: SecretContext, errors: FieldError[]): SourceConfig | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push({ path: prefix, message: raw === undefined ? 'is required' : 'must be an object' });
    return undefined;
  }
  const type = (raw as { type?: unknown }).type;
  const schema = typeof type === 'string' ? SOURCE_SCHEMAS[type] : undefined;
  if (schema === undefined) {
    errors.push({ path: `${prefix}/type`, message: `must be one of ${Object.keys(SOURCE_SCHEMAS).join(', ')}` });
    return undefined;
  }
  let source: SourceConfig;
  try {
    source = structuredClone(parseConfig(schema, raw)) as SourceConfig;
  } catch (e) {
    errors.push(...under(prefix, errorsOf(e)));
    return undefined;
  }
  const problems = passwordProblems(source);
  if (problems.length > 0) {
    errors.push(...under(prefix, problems));
    return undefined;
  }
  return resolveSourceSecrets(source, prefix, secrets, errors);
}

type AnyZone = GatewayZoneConfig | CountLineConfig;
const isCountLine = (z: AnyZone): z is CountLineConfig => z.type === COUNT_LINE;

/**
 * A camera's zones, each checked against the schema its `type` selects: `count_line` (counting,
 * counting/config.ts) or one of the violation types (the rules' zone schema). Problems by path.
 */
function checkZones(raw: readonly unknown[], prefix: string, errors: FieldError[]): AnyZone[] {
  const out: AnyZone[] = [];
  raw.forEach((z, j) => {
    const path = `${prefix}/${j}`;
    const type = z !== null && typeof z === 'object' ? (z as { type?: unknown }).type : undefined;
    const countLine = type === COUNT_LINE;
    if (!countLine && !(VIOLATION_TYPES as readonly unknown[]).includes(type)) {
      errors.push({ path: `${path}/type`, message: type === undefined ? 'is required' : `must be one of ${[...VIOLATION_TYPES, COUNT_LINE].join(', ')}` });
      return;
    }
    try {
      const parsed = structuredClone(parseConfig(countLine ? CountLineSchema : GatewayZoneSchema, z)) as AnyZone;
      if (isCountLine(parsed)) {
        const problems = countLineProblems(parsed, path);
        errors.push(...problems);
        if (problems.length > 0) return;
      }
      out.push(parsed);
    } catch (e) {
      errors.push(...under(path, errorsOf(e)));
    }
  });
  return out;
}

function crossChecks(config: GatewayConfig, errors: FieldError[]): void {
  const seen = new Map<string, number>();
  config.cameras.forEach((cam, i) => {
    const first = seen.get(cam.id);
    if (first !== undefined) errors.push({ path: `/cameras/${i}/id`, message: `duplicates cameras.${first}.id (${cam.id})` });
    else seen.set(cam.id, i);
    const zones = new Map<string, number>();
    (cam.zones as AnyZone[]).forEach((z, j) => {
      const path = `/cameras/${i}/zones/${j}`;
      const prev = zones.get(z.id);
      if (prev !== undefined) errors.push({ path: `${path}/id`, message: `duplicates zones.${prev}.id (${z.id}) of this camera` });
      else zones.set(z.id, j);
      if (isCountLine(z)) return;
      try {
        resolveZone(z);
      } catch (e) {
        errors.push({ path: `${path}/${/time ?zone/i.test((e as Error).message) ? 'timezone' : 'schedule'}`, message: (e as Error).message });
      }
    });
  });
}

/**
 * Keys renamed in this version; the old names still work, with a deprecation line, until the next
 * (README, "Renamed settings"). Schedule windows say `from`/`to`, as the processor's rule
 * schedules do (they said `start`/`end`).
 */
const RENAMED: readonly KeyRename[] = ['schedule', 'muted'].flatMap((list) => [
  { at: `/cameras/*/zones/*/${list}/*`, from: 'start', to: 'from' },
  { at: `/cameras/*/zones/*/${list}/*`, from: 'end', to: 'to' },
]);

/**
 * Validate a parsed YAML/JSON value as the gateway config and resolve the camera passwords it
 * names (`secrets.env`: main passes `process.env`; default: an empty environment). Throws
 * ConfigError (SW_CONFIG_INVALID) listing every problem by key path. Old key names still work:
 * `onDeprecated` gets one line per rename used (main.ts logs them once its logger exists).
 */
export function parseGatewayConfig(
  raw: unknown,
  source = 'config',
  secrets: SecretContext = { env: {} },
  onDeprecated: (line: string) => void = () => undefined,
): Readonly<GatewayConfig> {
  const errors: FieldError[] = [];
  const renamed = applyRenames(raw, RENAMED);
  errors.push(...renamed.errors);
  for (const line of renamed.deprecations) onDeprecated(`${source}: ${line}`);
  raw = renamed.value;
  let shaped: GatewayConfig | undefined;
  try {
    shaped = structuredClone(parseConfig(ShapeSchema, raw, source)) as unknown as GatewayConfig;
  } catch (e) {
    errors.push(...errorsOf(e));
  }
  const rawCameras = (raw as { cameras?: unknown } | null)?.cameras;
  if (Array.isArray(rawCameras)) {
    rawCameras.forEach((cam: unknown, i) => {
      const before = errors.length;
      const src = checkSource((cam as { source?: unknown } | null)?.source, `/cameras/${i}/source`, secrets, errors);
      const target = shaped?.cameras[i];
      if (target && src) (target as { source: SourceConfig }).source = src;
      // (a source with problems, e.g. an unset password variable, would only echo them here)
      if (target?.isapi && src && errors.length === before) {
        const isapi = resolveIsapiConfig(target.isapi, src, `/cameras/${i}/isapi`, secrets, errors);
        if (isapi) target.isapi = isapi;
      }
    });
  }
  if (Array.isArray(rawCameras)) {
    // zones are checked by their type whether or not the rest of the file is right (all problems at once)
    rawCameras.forEach((cam: unknown, i) => {
      const raw = (cam as { zones?: unknown } | null)?.zones;
      if (!Array.isArray(raw)) return;
      const zones = checkZones(raw, `/cameras/${i}/zones`, errors);
      const target = shaped?.cameras[i];
      if (target) (target as { zones: AnyZone[] }).zones = zones;
    });
  }
  if (shaped) {
    const token = resolveHttpToken(shaped.http, secrets, errors);
    if (token !== undefined) shaped.http.token = token;
  }
  if (shaped?.live) {
    const token = resolveLiveToken(shaped.live, secrets, errors);
    if (token !== undefined) shaped.live.token = token;
  }
  const store = shaped?.evidence.store;
  if (shaped && store !== undefined) {
    const resolved = resolveObjectStore(store, '/evidence/store', secrets, errors);
    if (resolved) shaped.evidence.objectStore = resolved;
  }
  if (shaped && errors.length === 0) crossChecks(shaped, errors);
  if (errors.length > 0 || !shaped) throw new ConfigError('SW_CONFIG_INVALID', source, errors);
  // count lines go to the counter, violation zones to the rules
  for (const cam of shaped.cameras) {
    const all = cam.zones as AnyZone[];
    const lines = all.filter(isCountLine);
    cam.zones = all.filter((z): z is GatewayZoneConfig => !isCountLine(z));
    if (lines.length > 0) cam.countLines = lines.map(resolveCountLine);
  }
  return deepFreeze(shaped);
}

/** Read a YAML or JSON file and parse it as the gateway config, secrets resolved (ConfigError on any problem). */
export function loadGatewayConfig(file: string, secrets: SecretContext = { env: {} }, onDeprecated?: (line: string) => void): Readonly<GatewayConfig> {
  const raw = loadConfigFile(Type.Unknown(), file);
  return parseGatewayConfig(raw, file, secrets, onDeprecated);
}

/**
 * `--validate-config <file>`: 0 when valid, 1 with one `file: path: problem` line per problem.
 * Secrets are never echoed (messages name keys and rules, not values). Named passwords are
 * resolved too (`secrets`), so a variable missing where the check runs is reported.
 */
export function validateGatewayConfigFile(file: string, out: (line: string) => void, err: (line: string) => void, secrets: SecretContext = { env: {} }): number {
  return validateConfigCommand((f) => loadGatewayConfig(f, secrets, (line) => out(line)), file, out, err, (c) => {
    const zones = c.cameras.reduce((n, cam) => n + cam.zones.length, 0);
    const lines = c.cameras.reduce((n, cam) => n + (cam.countLines?.length ?? 0), 0);
    return `gateway ${c.gatewayId}, ${c.cameras.length} camera(s), ${zones} zone(s)${lines > 0 ? `, ${lines} count line(s)` : ''}`;
  });
}

/** The camera settings the frame source takes (source, analytic size/fps, watchdog). */
export function sourceConfigOf(cam: GatewayCameraConfig): CameraConfig {
  return { id: cam.id, source: cam.source, analytic: cam.analytic, watchdog: cam.watchdog };
}

/** The gateway-wide analytics settings with the camera's single-key overrides applied. */
export function analyticsFor(config: GatewayConfig, cam: GatewayCameraConfig): AnalyticsConfig {
  const root = config.analytics;
  const o = cam.analytics;
  return {
    motion: { ...root.motion, ...o?.motion },
    staticObjects: { ...root.staticObjects, ...o?.staticObjects },
    tracker: { ...root.tracker, ...o?.tracker },
    tamper: { ...root.tamper, ...o?.tamper },
    updateIntervalSeconds: o?.updateIntervalSeconds ?? root.updateIntervalSeconds,
    offlineGraceSeconds: o?.offlineGraceSeconds ?? root.offlineGraceSeconds,
  };
}

/**
 * Frames that may wait for the shared detector, all cameras together: `detector.maxQueuedFrames`
 * when set, else one per enabled camera. A camera never has more than one frame waiting, so the
 * default drops nothing when every camera's frame arrives at the same moment (cameras started
 * together, or sampled on the same clock); a fixed bound below the camera count dropped the
 * same share of every camera's frames in each such burst (bench/edge/capacity.ts: 12 cameras at
 * 1 fps were analysed at 0.88 fps each with the old bound of 8 while the box had CPU to spare).
 */
export function detectorQueueBound(config: GatewayConfig): number {
  return config.detector.maxQueuedFrames ?? Math.max(1, config.cameras.filter((c) => c.enabled).length);
}
