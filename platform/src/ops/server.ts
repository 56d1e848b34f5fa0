import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<{ ok: boolean; detail?: string }> | { ok: boolean; detail?: string };

export interface OpsServerSettings {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
}

export interface OpsServerDeps {
  readonly registry: Registry;
  readonly log: Logger;
  /** Named checks that must all pass for /readyz to answer 200. */
  readonly readiness?: Readonly<Record<string, ReadinessCheck>>;
  /**
   * Addresses or CIDRs of the reverse proxies in front (an ingress): `req.ip` is then the client
   * from X-Forwarded-For, as those proxies report it. Empty (the default): the peer address; a
   * forwarded header is not believed, since anyone can send one.
   */
  readonly trustProxy?: readonly string[];
}

/**
 * The operations endpoints every service has: `/healthz` (the process is alive), `/readyz` (its
 * dependencies are reachable, per named check) and `/metrics` (Prometheus text). Services add
 * their own routes to the returned instance before calling `listen`.
 */
export function createOpsServer(deps: OpsServerDeps): FastifyInstance {
  const app = Fastify({
    // Per-request logs (scrapes every few seconds) stay below the http logger's level.
    loggerInstance: deps.log.child({ component: 'http' }, { level: 'warn' }) as FastifyBaseLogger,
    ...(deps.trustProxy && deps.trustProxy.length > 0 ? { trustProxy: [...deps.trustProxy] } : {}),
    // Route schemas that forbid unknown fields refuse them (400, named) instead of fastify's
    // default of silently dropping them: a mistyped field must not pass as if it were absent.
    ajv: { customOptions: { removeAdditional: false } },
  }) as unknown as FastifyInstance;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const results: Record<string, { ok: boolean; detail?: string }> = {};
    for (const [name, check] of Object.entries(deps.readiness ?? {})) {
      try {
        results[name] = await check();
      } catch (e) {
        results[name] = { ok: false, detail: (e as Error).message };
      }
    }
    const ok = Object.values(results).every((r) => r.ok);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.registry.contentType);
    return deps.registry.metrics();
  });
  return app;
}

export async function listen(app: FastifyInstance, s: OpsServerSettings): Promise<string> {
  return app.listen({ host: s.host ?? '127.0.0.1', port: s.port });
}
