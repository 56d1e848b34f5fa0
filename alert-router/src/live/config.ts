import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, secretFieldSchema } from '@streetwatch/platform';

/**
 * `live` in the router config: the live camera view. Absent: no live view (the console shows no
 * Live buttons). Gateways connect OUTBOUND to `/live/gateway` with their token (only its sha256
 * is here, inline or from a Secret); a browser opens `/live/ws/<camera>` and presents, as its first
 * message, a short-lived ticket the router issued for that camera and user (never in the URL).
 */
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' });
const Hex64 = Type.String({ pattern: '^[a-f0-9]{64}$' });
const Duration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

export const LiveGatewayConfig = Type.Object(
  {
    id: Id,
    /**
     * sha256 (hex) of the token the gateway presents (its `live.tokenFile` / `tokenEnv`); make one with
     * `openssl rand -base64 32`. Exactly one of: inline `tokenSha256`, or from a Secret
     * `tokenSha256Env` / `tokenSha256File` (read at start: a token rotated without touching this file).
     */
    tokenSha256: Type.Optional(Hex64),
    ...secretFieldSchema('tokenSha256', { what: "the sha256 (hex) of the gateway's live token" }),
  },
  { additionalProperties: false },
);

export const LiveCameraConfig = Type.Object(
  {
    id: Id,
    /** The gateway (edge box) that has this camera: only that gateway may stream it. */
    gateway: Id,
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** The camera's zones and the department that owns each: a department's users may watch the cameras it owns a zone on. */
    zones: Type.Record(Id, Id, { minProperties: 1 }),
  },
  { additionalProperties: false },
);

/**
 * What this instance does with the live view. A box holds its link to ONE instance, so with several
 * router replicas one instance serves it (k8s: the `router-live` Deployment, `only`) and the others
 * leave it (`no`); a single router does both (`yes`). The same router.yaml serves every Deployment:
 * `STREETWATCH_LIVE_SERVE` overrides this per Deployment.
 */
export const LiveServe = Type.Union([
  /** the live view and the alert work (one router instance: compose, staging, the demo) */
  Type.Literal('yes'),
  /** the live view (gateway links, viewers, tickets, the camera list) and nothing of the alert work: no alert or clearance consumer, no delivery polling, no retention job */
  Type.Literal('only'),
  /** the alert work only; `/live/` and `/api/live` answer SW_ROUTER_LIVE_DISABLED (another instance serves them) */
  Type.Literal('no'),
]);
export type LiveServe = Static<typeof LiveServe>;

export const LiveConfig = Type.Object(
  {
    /** This instance: `yes` (live view + alert work), `only` (live view only), `no` (alert work only); STREETWATCH_LIVE_SERVE overrides. */
    serve: Type.Union(LiveServe.anyOf, { default: 'yes' }),
    /** HMAC-SHA256 key of the tickets (≥ 32 bytes; signingKeyEnv / signingKeyFile). Rotating it ends every outstanding ticket. */
    ...secretFieldSchema('signingKey', { what: 'the live ticket signing key' }),
    /** A ticket opens one viewing within this time (the page uses it at once). */
    ticketTtl: Duration('60s', 'how long a live ticket may wait before it is used (once)'),
    /** A viewer's WebSocket that has not presented its ticket (its first message) within this time is closed (4401). */
    ticketWait: Duration('5s', 'how long an opened viewer WebSocket may take to send its ticket'),
    /** Roles that may watch (their own department’s cameras; supervisors every camera). */
    roles: Type.Array(Type.Union([Type.Literal('staff'), Type.Literal('head'), Type.Literal('supervisor')]), {
      minItems: 1,
      uniqueItems: true,
      default: ['staff', 'head', 'supervisor'],
    }),
    gateways: Type.Array(LiveGatewayConfig, { default: [], maxItems: 10_000 }),
    cameras: Type.Array(LiveCameraConfig, { default: [], maxItems: 100_000 }),
    /** People watching one camera at once through this router. */
    maxViewersPerCamera: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
    /** A viewer whose connection holds more than this is skipped to the next picture group (slow phone), not queued without bound. */
    viewerBufferBytes: Type.Integer({ minimum: 65_536, maximum: 64 * 1024 * 1024, default: 2 * 1024 * 1024 }),
    /** The current picture group kept per camera, so a viewer who joins a running stream sees a picture at once. */
    gopCacheBytes: Type.Integer({ minimum: 0, maximum: 16 * 1024 * 1024, default: 1024 * 1024 }),
  },
  { additionalProperties: false },
);
export type LiveConfig = Static<typeof LiveConfig>;
export type LiveCameraConfig = Static<typeof LiveCameraConfig>;

/** Cross-checks the schema cannot say: unique ids, every camera's gateway configured, every zone's department known. */
export function checkLiveReferences(live: LiveConfig, departments: ReadonlySet<string>, errors: Array<{ path: string; message: string }>): void {
  const gateways = new Map<string, number>();
  live.gateways.forEach((g, i) => {
    const first = gateways.get(g.id);
    if (first !== undefined) errors.push({ path: `/live/gateways/${i}/id`, message: `duplicates live.gateways.${first}.id (${g.id})` });
    else gateways.set(g.id, i);
  });
  const cameras = new Map<string, number>();
  live.cameras.forEach((c, i) => {
    const first = cameras.get(c.id);
    if (first !== undefined) errors.push({ path: `/live/cameras/${i}/id`, message: `duplicates live.cameras.${first}.id (${c.id})` });
    else cameras.set(c.id, i);
    if (!gateways.has(c.gateway)) errors.push({ path: `/live/cameras/${i}/gateway`, message: `unknown gateway "${c.gateway}" (not in live.gateways)` });
    for (const [zone, dept] of Object.entries(c.zones)) {
      if (!departments.has(dept)) errors.push({ path: `/live/cameras/${i}/zones/${zone}`, message: `unknown department "${dept}"` });
    }
  });
}

const SERVES: readonly string[] = ['yes', 'only', 'no'];

/**
 * What this instance serves: `live.serve`, or `STREETWATCH_LIVE_SERVE` when set (a Deployment sets it
 * without copying router.yaml). Without a `live` section: `no` (and `only` is a config error: an
 * instance that would do nothing).
 */
export function liveServeOf(live: LiveConfig | undefined, env: Readonly<Record<string, string | undefined>>): LiveServe {
  const raw = env.STREETWATCH_LIVE_SERVE?.trim();
  let serve: LiveServe;
  if (raw === undefined || raw === '') serve = live?.serve ?? 'no';
  else if (SERVES.includes(raw)) serve = raw as LiveServe;
  else throw new ConfigError('SW_CONFIG_INVALID', 'environment STREETWATCH_LIVE_SERVE', [{ path: '', message: `${JSON.stringify(raw.slice(0, 40))} is not one of yes, only, no` }]);
  if (live === undefined && serve === 'only') {
    throw new ConfigError('SW_CONFIG_INVALID', 'environment STREETWATCH_LIVE_SERVE', [{ path: '', message: '"only" (the live view only) needs a live section in the config' }]);
  }
  return live === undefined ? 'no' : serve;
}
