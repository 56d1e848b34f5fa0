/**
 * The gateway's HTTP server (platform ops server): /healthz, /readyz (named checks), /metrics
 * (Prometheus: per-camera decoded fps, detector ms, last-frame age, online; outbox depth and
 * oldest age; events produced), /status (per-camera JSON) and /evidence/<id>.jpg (the pictures
 * events point to).
 */
import type { FastifyInstance } from 'fastify';
import { createOpsServer, type Logger, type ReadinessCheck, type Registry } from '@streetwatch/platform';
import { evidenceRoutes } from '../evidence/routes.js';
import type { EvidenceStore } from '../evidence/store.js';

export interface EdgeOpsDeps {
  registry: Registry;
  log: Logger;
  evidence: EvidenceStore;
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
  await app.register(evidenceRoutes(deps.evidence));
  return app;
}
