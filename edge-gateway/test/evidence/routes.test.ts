import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import t from 'tap';
import { renderEvidence } from '../../src/evidence/render.js';
import { evidenceRoutes } from '../../src/evidence/routes.js';
import { EvidenceStore } from '../../src/evidence/store.js';
import { vtestFrame } from '../support/frames.js';

async function setup(t: { teardown(fn: () => unknown): void }, maxBytes = 10_000_000) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-evidence-routes-'));
  const store = new EvidenceStore({ dir, maxBytes, maxAgeMs: 3_600_000 });
  await store.start();
  const app = Fastify();
  await app.register(evidenceRoutes(store));
  t.teardown(async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { app, store };
}

t.test('GET /evidence/<id>.jpg serves the stored JPEG', async (t) => {
  const { app, store } = await setup(t);
  const jpeg = await renderEvidence(vtestFrame(), [{ bbox: { x: 0.5, y: 0.5, w: 0.2, h: 0.2 }, label: 'person' }]);
  const stored = await store.put(jpeg);
  const res = await app.inject({ method: 'GET', url: `/evidence/${stored.id}.jpg` });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'image/jpeg');
  t.equal(Number(res.headers['content-length']), jpeg.length);
  t.same(res.rawPayload, jpeg);
});

t.test('unknown, malformed and pruned ids are 404', async (t) => {
  const jpeg = await renderEvidence(vtestFrame(), []);
  const { app, store } = await setup(t, jpeg.length); // room for one file
  const gone = await store.put(jpeg);
  await store.put(jpeg); // pushes `gone` out
  for (const url of [
    `/evidence/${gone.id}.jpg`,
    '/evidence/00000000-0000-4000-8000-000000000000.jpg',
    '/evidence/not-an-id.jpg',
    `/evidence/${gone.id}`,
    '/evidence/..%2F..%2Fetc%2Fpasswd',
    `/evidence/${gone.id}.jpg.tmp`,
  ]) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404, url);
  }
});
