/**
 * The gateway's HTTP server (platform ops server): /healthz, /readyz (named checks), /metrics
 * (Prometheus: per-camera decoded fps, detector ms, last-frame age, online; outbox depth and
 * oldest age; events produced; evidence pictures waiting and uploaded), /status (per-camera
 * JSON). It serves no pictures: they go to the evidence object store, and people see them only
 * through the alert router's signed links.
 *
 * Who may ask: it binds loopback by default (http.host 127.0.0.1), where only this box reaches
 * it. Bound anywhere else the config must name a token (http.tokenFile / tokenEnv, checked at
 * load), and then every route except /healthz and /readyz needs `Authorization: Bearer <token>`
 * (401 otherwise): the probes of a supervisor (k8s, systemd) stay simple, and they reveal only
 * up/ready and the names of the checks.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createOpsServer, type Logger, type ReadinessCheck, type Registry } from '@streetwatch/platform';
import { EDGE_ERRORS, type EdgeErrorCode } from '../errors.js';

export interface EdgeOpsDeps {
  registry: Registry;
  log: Logger;
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** JSON for GET /status. */
  status: () => unknown;
  /** Called before each /metrics scrape (gauges computed from state, e.g. the outbox's age). */
  beforeScrape?: () => void;
  /** The bearer token every route but the probes needs; undefined: none (loopback only, by config). */
  token?: string;
}

/** Routes a probe needs without credentials. */
const OPEN = new Set(['/healthz', '/readyz']);

const UNAUTHORIZED: EdgeErrorCode = 'SW_EDGE_OPS_UNAUTHORIZED';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export async function createEdgeOpsServer(deps: EdgeOpsDeps): Promise<FastifyInstance> {
  const app = createOpsServer({ registry: deps.registry, log: deps.log, readiness: deps.readiness });
  if (deps.token !== undefined) {
    const expected = digest(deps.token);
    app.addHook('onRequest', async (req, reply) => {
      // The route fastify matched (not the raw URL): no spelling of a path reaches another route.
      if (OPEN.has(req.routeOptions.url ?? '')) return;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      // Compared as digests: equal length, constant time, and the token's length does not leak.
      if (m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected)) return;
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="streetwatch-edge"')
        .send({ error: { code: UNAUTHORIZED, message: EDGE_ERRORS[UNAUTHORIZED] } });
    });
  }
  const before = deps.beforeScrape;
  if (before) {
    app.addHook('onRequest', async (req) => {
      if (req.url === '/metrics') {
        try {
          before();
        } catch (err) {
          deps.log.warn({ err }, 'refreshing metrics before a scrape failed');
        }
      }
    });
  }
  app.get('/status', async () => deps.status());
  return app;
}
