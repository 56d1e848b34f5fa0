/**
 * HTTP and WebSocket side of the live view:
 *  - `GET /api/live/cameras`, `POST /api/live/cameras/:cameraId/ticket` (bearer token, inside the
 *    /api scope: auth, rate limit, api_audit): the cameras the caller may watch, and a one-time
 *    ticket for one of them (404 for a camera the caller's department owns no zone on, like a
 *    missing one);
 *  - `GET /live/ws/:cameraId` (WebSocket, public: the ticket is the credential, sent as the first
 *    text message, never in the URL): the camera's MPEG-TS as binary messages; a refused ticket, or
 *    none within `live.ticketWait`, closes with a 44xx code and the error code as the reason;
 *  - `GET /live/gateway` (WebSocket, gateways only: `Authorization: Bearer <live token>` +
 *    `X-Streetwatch-Gateway`, checked before the upgrade: 401 otherwise);
 *  - `/console/live.js`, `live.css` and `/console/vendor/jsmpeg-player.umd.min.js` (the player, served from
 *    the npm package in node_modules, never a CDN).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import websocket from '@fastify/websocket';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger, Pool } from '@streetwatch/platform';
import { errors } from '../api/schemas.js';
import { ms } from '../config/durations.js';
import { assetsDir, CONSOLE_CSP } from '../console/page.js';
import { WorkOrderError, type WorkOrderErrorCode } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import type { LiveCameraConfig, LiveConfig } from './config.js';
import { closeWith, type LiveHub, type LiveSocket } from './hub.js';
import type { LiveTickets } from './tickets.js';

export interface LiveDeps {
  readonly config: LiveConfig;
  /** sha256 of each gateway's token by gateway id (setup.ts resolves Secret references); default: the inline hex of `config.gateways`. */
  readonly gatewayTokens?: ReadonlyMap<string, Buffer>;
  readonly hub: LiveHub;
  readonly tickets: LiveTickets;
  readonly pool: Pool;
  readonly log: Logger;
}

/** May `user` watch `cam`? A role in live.roles, and a supervisor, or of a department owning one of its zones. */
export function mayWatch(config: LiveConfig, user: User, cam: LiveCameraConfig): boolean {
  if (!config.roles.includes(user.role)) return false;
  return user.role === 'supervisor' || Object.values(cam.zones).includes(user.departmentId);
}

const CameraParams = Type.Object({ cameraId: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' }) });
const LiveCamera = Type.Object({
  id: Type.String(),
  name: Type.Optional(Type.String()),
  online: Type.Boolean({ description: "its edge box is connected and has the camera" }),
  streaming: Type.Boolean(),
  viewers: Type.Integer(),
});
const CameraList = Type.Object({ cameras: Type.Array(LiveCamera) });
const Ticket = Type.Object({
  ticket: Type.String(),
  url: Type.String({ description: 'the WebSocket path to open (same origin); send the ticket as its first text message' }),
  expiresAt: Type.String({ format: 'date-time' }),
  online: Type.Boolean(),
});
const tags = ['live'];
const secured = [{ bearerAuth: [] as string[] }];

/** The API routes, mounted inside the /api scope (registerWorkOrderRoutes' `scoped`). */
export function liveApiRoutes(deps: LiveDeps | undefined): (api: FastifyInstance) => void {
  return (api) => {
    const who = (req: FastifyRequest): User => {
      if (!req.swUser) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
      if (!deps) throw new WorkOrderError('SW_ROUTER_LIVE_DISABLED');
      return req.swUser;
    };
    api.get('/api/live/cameras', {
      schema: { summary: 'The cameras you may watch live, with their state', tags, security: secured, response: { 200: CameraList, ...errors(401, 429, 503) } },
      config: { auditAction: 'live_cameras' },
    }, async (req) => {
      const user = who(req);
      const d = deps as LiveDeps;
      const cameras = d.config.cameras.filter((c) => mayWatch(d.config, user, c)).map((c) => d.hub.status(c.id)).filter((s) => s !== undefined);
      return { cameras };
    });
    api.post<{ Params: { cameraId: string } }>('/api/live/cameras/:cameraId/ticket', {
      schema: {
        summary: 'A one-time ticket (valid live.ticketTtl) to open the camera’s live stream; every opening is audited',
        tags,
        security: secured,
        params: CameraParams,
        response: { 200: Ticket, ...errors(400, 401, 404, 429, 503) },
      },
      config: { auditAction: 'live_ticket' },
    }, async (req) => {
      const user = who(req);
      const d = deps as LiveDeps;
      const cameraId = req.params.cameraId;
      req.swAudit = { cameraId };
      const cam = d.hub.camera(cameraId);
      if (!cam || !mayWatch(d.config, user, cam)) throw new WorkOrderError('SW_ROUTER_LIVE_CAMERA_NOT_FOUND');
      const t = await d.tickets.issue(user, cameraId);
      return { ...t, url: `/live/ws/${encodeURIComponent(cameraId)}`, online: d.hub.status(cameraId)?.online ?? false };
    });
  };
}

const GATEWAY_PING_MS = 20_000;
/** A ticket is ~30 characters; a first message longer than this is no ticket. */
const MAX_TICKET_BYTES = 256;
const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The WebSocket routes and the player's files, on the app itself (outside the /api scope). */
export async function registerLive(app: FastifyInstance, deps: LiveDeps | undefined, log: Logger): Promise<void> {
  await app.register(websocket, { options: { maxPayload: 4 * 1024 * 1024, perMessageDeflate: false } });
  registerLiveAssets(app);
  const gatewayTokens = deps?.gatewayTokens ?? inlineGatewayTokens(deps?.config.gateways ?? []);

  const ticketWaitMs = deps ? ms(deps.config.ticketWait) : 0;
  app.get<{ Params: { cameraId: string } }>('/live/ws/:cameraId', {
    websocket: true,
    schema: { hide: true },
    config: { public: true },
  }, (socket, req) => {
    const s = socket as unknown as LiveSocket & { on(ev: string, fn: (...a: unknown[]) => void): void; once(ev: string, fn: (...a: unknown[]) => void): void; readyState: number };
    s.on('error', () => undefined); // a viewer's broken connection ends in 'close'; nothing to do here
    const cameraId = req.params.cameraId;
    const refuse = (code: WorkOrderErrorCode): void => {
      deps?.hub.countOpen(code);
      closeWith(s, code);
    };
    if (!deps) return refuse('SW_ROUTER_LIVE_DISABLED');
    // The ticket is the first message, never part of the URL (ingress access logs keep URLs); a
    // socket that presents none within live.ticketWait is closed like a forged ticket.
    let waited = false;
    const wait = setTimeout(() => {
      waited = true;
      log.info({ cameraId, ip: req.ip }, 'live: no ticket within live.ticketWait');
      refuse('SW_ROUTER_LIVE_TICKET_INVALID');
    }, ticketWaitMs);
    s.once('close', () => clearTimeout(wait));
    s.once('message', (data: unknown, isBinary: unknown) => {
      clearTimeout(wait);
      if (waited) return; // too late: the socket is closing, and the ticket stays unused
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(data as ArrayBuffer);
      const token = isBinary === true || buf.length > MAX_TICKET_BYTES ? '' : buf.toString('utf8').trim();
      admit(deps, s, cameraId, token, req).catch((err: unknown) => {
        log.error({ err, cameraId }, 'live: admitting a viewer failed');
        if (s.readyState === 1) s.close(1011, 'SW_ROUTER_INTERNAL');
      });
    });
  });

  /** Redeem the presented ticket and add the viewer (or close with the refusal's code); every opening audited. */
  async function admit(d: LiveDeps, s: LiveSocket & { on(ev: string, fn: (...a: unknown[]) => void): void; readyState: number }, cameraId: string, token: string, req: FastifyRequest): Promise<void> {
    const refuse = (code: WorkOrderErrorCode): void => {
      d.hub.countOpen(code);
      closeWith(s, code);
    };
    const ua = req.headers['user-agent'];
    let redeemed;
    try {
      redeemed = await d.tickets.redeem({ token, cameraId, ip: req.ip, ...(typeof ua === 'string' && { userAgent: ua }) });
    } catch (err) {
      if (!(err instanceof WorkOrderError)) throw err;
      log.info({ cameraId, code: err.code, ip: req.ip }, 'live: ticket refused');
      return refuse(err.code);
    }
    if (s.readyState !== 1) {
      await d.tickets.closed(redeemed.viewId, 0);
      return;
    }
    const r = d.hub.addViewer(cameraId, s, redeemed.userId);
    if (!r.ok) {
      await d.pool.query('UPDATE live_views SET result = $2, closed_at = opened_at WHERE id = $1', [redeemed.viewId.toString(), r.code]);
      return refuse(r.code);
    }
    d.hub.countOpen('ok');
    log.info({ cameraId, userId: redeemed.userId }, 'live: viewer joined');
    s.on('close', () => {
      const bytes = r.onClose();
      d.tickets.closed(redeemed.viewId, bytes).catch((err: unknown) => log.error({ err }, 'live: closing the view record failed'));
    });
  }

  app.get('/live/gateway', {
    websocket: true,
    schema: { hide: true },
    config: { public: true },
    // Checked before the upgrade: a box without a valid token gets 401 and no socket.
    preValidation: async (req, reply) => {
      const id = req.headers['x-streetwatch-gateway'];
      const m = /^Bearer\s+(\S{16,512})\s*$/i.exec(req.headers.authorization ?? '');
      const want = typeof id === 'string' ? gatewayTokens.get(id) : undefined;
      if (deps && want && m?.[1] !== undefined && timingSafeEqual(digest(m[1]), want)) return;
      log.warn({ gatewayId: typeof id === 'string' ? id.slice(0, 200) : undefined, ip: req.ip }, 'live: a gateway link without a valid gateway token: refused');
      await reply.code(401).send({ error: { code: 'SW_ROUTER_LIVE_GATEWAY_AUTH', message: 'a valid gateway token and X-Streetwatch-Gateway are required' } });
    },
  }, (socket, req) => {
    const gatewayId = String(req.headers['x-streetwatch-gateway']);
    const link = (deps as LiveDeps).hub.attachGateway(gatewayId, socket as unknown as LiveSocket);
    socket.on('message', (data, isBinary) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) link.onBinary(buf);
      else link.onText(buf.toString('utf8'));
    });
    // A box that lost power leaves a half-open connection: ping it, and drop it after a missed pong.
    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    const ping = setInterval(() => {
      if (!alive) {
        log.warn({ gatewayId }, 'live: no pong from the gateway: link dropped');
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, GATEWAY_PING_MS);
    ping.unref();
    socket.on('close', () => {
      clearInterval(ping);
      link.onClose();
    });
    socket.on('error', (err: Error) => log.warn({ gatewayId, err: { message: err.message } }, 'live: gateway link error'));
  });

  app.addHook('preClose', async () => deps?.hub.closeAll());
}

/** The inline `tokenSha256` of each gateway (a Secret reference needs setup.ts's resolution: refused here). */
export function inlineGatewayTokens(gateways: LiveConfig['gateways']): Map<string, Buffer> {
  return new Map(
    gateways.map((g) => {
      if (typeof g.tokenSha256 !== 'string') throw new TypeError(`live.gateways ${g.id}: tokenSha256 is a Secret reference: resolve it (liveFrom)`);
      return [g.id, Buffer.from(g.tokenSha256, 'hex')];
    }),
  );
}

/** The console's live view (assets/live.js) and the JSMpeg player from its npm package. */
function registerLiveAssets(app: FastifyInstance): void {
  const js = 'text/javascript; charset=utf-8';
  const files = [
    { url: '/console/live.js', type: js, body: readFileSync(join(assetsDir(), 'live.js')) },
    { url: '/console/live.css', type: 'text/css; charset=utf-8', body: readFileSync(join(assetsDir(), 'live.css')) },
    { url: '/console/vendor/jsmpeg-player.umd.min.js', type: js, body: readFileSync(playerFile()) },
  ];
  for (const f of files) {
    app.get(f.url, { schema: { hide: true }, config: { public: true } }, async (_req, reply) =>
      reply
        .header('content-type', f.type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONSOLE_CSP)
        .header('x-content-type-options', 'nosniff')
        .send(f.body),
    );
  }
}

/** dist/jsmpeg-player.umd.min.js of @cycjimmy/jsmpeg-player (its exports map hides package.json: resolve the main file). */
export function playerFile(): string {
  const main = createRequire(import.meta.url).resolve('@cycjimmy/jsmpeg-player');
  const file = join(dirname(main), 'jsmpeg-player.umd.min.js');
  if (!existsSync(file)) throw new Error(`the JSMpeg player is missing: ${file} (npm ci)`);
  return file;
}
