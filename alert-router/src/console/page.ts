import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { WorkOrders } from '../workorders/service.js';

const ASSETS: Record<string, { file: string; type: string; headers?: Record<string, string> }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  // The page's script, a file per concern, loaded in this order by index.html.
  '/console/core.js': { file: 'core.js', type: 'text/javascript; charset=utf-8' },
  '/console/board.js': { file: 'board.js', type: 'text/javascript; charset=utf-8' },
  '/console/dialog.js': { file: 'dialog.js', type: 'text/javascript; charset=utf-8' },
  '/console/actions.js': { file: 'actions.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  // DOM helpers shared with the overview screen (which serves this same file as /screen/dom.js).
  '/console/dom.js': { file: 'dom.js', type: 'text/javascript; charset=utf-8' },
  '/console/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
  // The installable app (phone): manifest, icons, and the service worker that keeps the page's
  // files for offline use. Its scope is `/console` (the page itself has no trailing slash).
  '/console/manifest.webmanifest': { file: 'manifest.webmanifest', type: 'application/manifest+json; charset=utf-8' },
  '/console/sw.js': { file: 'sw.js', type: 'text/javascript; charset=utf-8', headers: { 'service-worker-allowed': '/console' } },
  '/console/queue.js': { file: 'queue.js', type: 'text/javascript; charset=utf-8' },
  '/console/icon-192.png': { file: 'icon-192.png', type: 'image/png' },
  '/console/icon-512.png': { file: 'icon-512.png', type: 'image/png' },
  '/console/icon-maskable-512.png': { file: 'icon-maskable-512.png', type: 'image/png' },
};

/** The page's files live in src/console/assets (plain HTML/JS/CSS, no build step); dist/ finds them there. */
export function assetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'assets'), join(here, '..', '..', 'src', 'console', 'assets')];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new Error(`console assets not found in ${candidates.join(' or ')}`);
  return found;
}

/**
 * Evidence pictures come from the router's signed links (evidence.publicBaseUrl: this origin, or
 * the public ingress's); scripts, styles and API calls only from the router itself.
 */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' http: https: data: blob:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/** `GET /console` and its assets; public (the page asks for a token and calls the API with it). */
export async function registerConsole(app: FastifyInstance, _wo: WorkOrders): Promise<void> {
  const dir = assetsDir();
  for (const [url, a] of Object.entries(ASSETS)) {
    const body = readFileSync(join(dir, a.file));
    app.get(
      url,
      { schema: { summary: `Department console: ${a.file}`, tags: ['console'], produces: [a.type.split(';')[0] as string] }, config: { public: true } },
      async (_req, reply) =>
        reply
          .header('content-type', a.type)
          .header('cache-control', 'no-cache')
          .header('content-security-policy', CONSOLE_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .headers(a.headers ?? {})
          .send(body),
    );
  }
}
