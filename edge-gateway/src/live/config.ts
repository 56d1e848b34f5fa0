/**
 * `live` in the gateway config: the live camera view. The box opens one WebSocket OUTBOUND to
 * the alert router (`routerUrl`), authenticated as this gateway by a token named in config
 * (`tokenFile` or `tokenEnv`, read once at load through the platform's secrets rule; never
 * inline), and transcodes a camera to MPEG-1 only while someone watches it.
 */
import { Type, type Static } from '@sinclair/typebox';
import { resolveSecretField, secretFieldSchema, type SecretContext } from '@streetwatch/platform';
import type { FieldError } from '@streetwatch/schemas';

export const LiveConfigSchema = Type.Object(
  {
    routerUrl: Type.String({ pattern: '^wss?://[^\\s]+$', description: "the router's gateway endpoint, e.g. wss://sw.example.cn/live/gateway" }),
    ...secretFieldSchema('token', { what: 'this gateway’s live token (router: live.gateways[].tokenSha256)', envPattern: '^[A-Z_][A-Z0-9_]*$' }),
    /** Filled in by the loader from tokenFile / tokenEnv; a token written in the file is refused. */
    token: Type.Optional(Type.String({ minLength: 16 })),
    caFile: Type.Optional(Type.String({ minLength: 1, description: "PEM file of the CA that signed the router's certificate (wss), when not a public one" })),
    maxStreams: Type.Integer({ minimum: 0, maximum: 64, default: 2, description: 'live transcodes running at once on this box; a further camera is refused (SW_EDGE_LIVE_LIMIT)' }),
    idleStopMs: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 30_000, description: 'a stream nobody watches is stopped after this long' }),
    width: Type.Integer({ minimum: 160, maximum: 1920, multipleOf: 2, default: 640, description: 'picture width; the height keeps the aspect ratio' }),
    fps: Type.Integer({ minimum: 1, maximum: 30, default: 10 }),
    bitrateKbps: Type.Integer({ minimum: 64, maximum: 8000, default: 500, description: 'MPEG-1 video bit rate cap (the uplink cost per camera watched)' }),
    gopSeconds: Type.Number({ minimum: 0.5, maximum: 10, default: 1, description: 'a joining viewer waits at most this long for a full picture' }),
    nice: Type.Integer({ minimum: 0, maximum: 19, default: 10, description: "the transcode's CPU priority: below detection's" }),
    maxBufferedBytes: Type.Integer({ minimum: 65_536, maximum: 64 * 1024 * 1024, default: 1_048_576, description: 'uplink backlog past which video is skipped to the next picture group' }),
    reconnectInitialMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 1000 }),
    reconnectMaxMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 30_000 }),
    firstChunkTimeoutMs: Type.Integer({ minimum: 500, maximum: 120_000, default: 15_000, description: 'a transcode with no output this long is stopped as failed' }),
  },
  { additionalProperties: false },
);
export type LiveConfig = Static<typeof LiveConfigSchema>;

/** `live.tokenFile` / `live.tokenEnv` read into `live.token` (problems under `/live/...`). */
export function resolveLiveToken(live: LiveConfig, ctx: SecretContext, errors: FieldError[]): string | undefined {
  if (live.token !== undefined) {
    errors.push({ path: '/live/token', message: 'write tokenFile or tokenEnv, never the token itself' });
    return undefined;
  }
  const r = resolveSecretField(live, 'token', '/live', ctx);
  if (!r.ok || r.value === undefined) {
    if (!r.ok) errors.push(r.error);
    return undefined;
  }
  if (r.value.length < 16) {
    errors.push({ path: `/live/${live.tokenEnv !== undefined ? 'tokenEnv' : 'tokenFile'}`, message: 'the token must be at least 16 characters' });
    return undefined;
  }
  if (live.reconnectMaxMs < live.reconnectInitialMs) errors.push({ path: '/live/reconnectMaxMs', message: 'must be >= reconnectInitialMs' });
  return r.value;
}
