import { Type, type Static } from '@sinclair/typebox';
import { secretFieldSchema } from '@streetwatch/platform';

/**
 * `live` in the router config: the live camera view. Absent: no live view (the console shows no
 * Live buttons). Gateways connect OUTBOUND to `/live/gateway` with their token (only its sha256
 * is here); a browser watches through `/live/ws/<camera>?ticket=...` with a short-lived ticket
 * the router issued for that camera and user.
 */
const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' });
const Hex64 = Type.String({ pattern: '^[a-f0-9]{64}$' });
const Duration = (def: string, description: string) => Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', default: def, description });

export const LiveGatewayConfig = Type.Object(
  {
    id: Id,
    /** sha256 (hex) of the token the gateway presents (its `live.tokenFile`); make one with `openssl rand -base64 32`. */
    tokenSha256: Hex64,
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

export const LiveConfig = Type.Object(
  {
    /** HMAC-SHA256 key of the tickets (≥ 32 bytes; signingKeyEnv / signingKeyFile). Rotating it ends every outstanding ticket. */
    ...secretFieldSchema('signingKey', { what: 'the live ticket signing key' }),
    /** A ticket opens one viewing within this time (the page uses it at once). */
    ticketTtl: Duration('60s', 'how long a live ticket may wait before it is used (once)'),
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
