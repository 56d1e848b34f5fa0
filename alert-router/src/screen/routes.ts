import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { openEventStream } from '../api/event-stream.js';
import { assetsDir as consoleAssetsDir } from '../console/page.js';
import { writeAudit } from '../api/http.js';
import { errors } from '../api/schemas.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import type { ScreenFeed } from './feed.js';

const tags = ['screen'];
const secured = [{ bearerAuth: [] as string[] }];

function viewer(feed: ScreenFeed, req: FastifyRequest): User {
  const user = req.swUser;
  if (!user) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
  if (!feed.config.roles.includes(user.role)) {
    throw new WorkOrderError('SW_ROUTER_WO_ROLE_FORBIDDEN', `the overview screen is for ${feed.config.roles.join(', ')} (role ${user.role})`);
  }
  return user;
}

/**
 * `GET /api/screen` (the figures as JSON) and `GET /api/screen/stream` (SSE: `snapshot` whenever a
 * figure changed, `asof` when only the time moved), mounted inside the work-order API's `/api` scope
 * (`registerWorkOrderRoutes(app, { scoped: [screenRoutes(feed)] })`): bearer-token auth, rate limit
 * (the stream counts once per connect), audit, error format and OpenAPI entries.
 */
export function screenRoutes(feed: ScreenFeed): (api: FastifyInstance) => void {
  return (api) => {
    api.addHook('preClose', async () => feed.close());
    api.get('/api/screen', {
      schema: {
        summary: 'The overview screen’s figures (cameras, violations today, people and vehicle flows today, work orders per department, shops, latest alerts)',
        tags,
        security: secured,
        response: errors(401, 403, 429),
      },
      config: { auditAction: 'screen' },
    }, async (req, reply) => {
      viewer(feed, req);
      return reply.header('cache-control', 'no-store').send(await feed.current());
    });

    api.get('/api/screen/stream', {
      schema: {
        summary: 'The overview screen, live (text/event-stream: `snapshot`, `asof`)',
        tags,
        security: secured,
        produces: ['text/event-stream'],
        response: { 200: { description: 'an event stream', type: 'string' }, ...errors(401, 403, 429) },
      },
    }, async (req, reply) => {
      viewer(feed, req);
      let unsubscribe: () => void = () => undefined;
      const stream = openEventStream(req, reply, { heartbeatMs: 15_000, onClose: () => unsubscribe() });
      unsubscribe = feed.subscribe((event, data) => stream.send(event, data), () => stream.end());
      await writeAudit(feed.pool, req, 200, feed.now(), 'screen_stream').catch(() => undefined);
    });
  };
}

const ASSETS: Record<string, { file: string; type: string; console?: true }> = {
  '/screen': { file: 'index.html', type: 'text/html; charset=utf-8' },
  // The DOM helpers the console uses too: one file, in the console's assets.
  '/screen/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8', console: true },
  '/screen/screen.js': { file: 'screen.js', type: 'text/javascript; charset=utf-8' },
  '/screen/screen.css': { file: 'screen.css', type: 'text/css; charset=utf-8' },
};

/** Scripts, styles and API calls from the router only; no pictures from elsewhere. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets'), join(here, '..', '..', 'src', 'screen', 'assets')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`screen assets not found in ${candidates.join(' or ')}`);
  return found;
}

/** `GET /screen` and its assets: public (the page asks for a token and calls the API with it). */
export function registerScreenPage(app: FastifyInstance): void {
  const dir = assetsDir();
  for (const [url, a] of Object.entries(ASSETS)) {
    const body = readFileSync(join(a.console ? consoleAssetsDir() : dir, a.file));
    app.get(
      url,
      { schema: { summary: `Overview screen: ${a.file}`, tags, produces: [a.type.split(';')[0] as string] }, config: { public: true } },
      async (_req, reply) =>
        reply
          .header('content-type', a.type)
          .header('cache-control', 'no-cache')
          .header('content-security-policy', CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .send(body),
    );
  }
}
