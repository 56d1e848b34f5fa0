/**
 * The gateway's HTTP server (platform ops server): /healthz, /readyz (named checks), /metrics
 * (Prometheus: per-camera decoded fps, detector ms, last-frame age, online; outbox depth and
 * oldest age; events produced; evidence pictures waiting and uploaded), /status (per-camera
 * JSON). It serves no pictures: they go to the evidence object store, and people see them only
 * through the alert router's signed links.
 */
import type { FastifyInstance } from 'fastify';
import { createOpsServer, type Logger, type ReadinessCheck, type Registry } from '@streetwatch/platform';

export interface EdgeOpsDeps {
  registry: Registry;
  log: Logger;
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** JSON for GET /status. */
  status: () => unknown;
  /** Called before each /metrics scrape (gauges computed from state, e.g. the outbox's age). */
  beforeScrape?: () => void;
}

export async function createEdgeOpsServer(deps: EdgeOpsDeps): Promise<FastifyInstance> {
  const app = createOpsServer({ registry: deps.registry, log: deps.log, readiness: deps.readiness });
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
