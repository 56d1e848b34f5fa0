/**
 * fastify plugin: GET /evidence/<id>.jpg serves a stored evidence JPEG. The id is checked
 * against the UUID pattern and the store's index before the file system is touched, so no path
 * ever reaches `open` that the store did not write. Unknown, malformed or pruned ids: 404.
 */
import { open } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { EvidenceStore } from './store.js';

const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jpg$/;

export function evidenceRoutes(store: EvidenceStore): FastifyPluginAsync {
  return async (app) => {
    app.get<{ Params: { file: string } }>('/evidence/:file', async (req, reply) => {
      const id = FILE.exec(req.params.file)?.[1];
      const path = id === undefined ? undefined : store.pathOf(id);
      if (path === undefined) return reply.code(404).send({ error: 'evidence not found' });
      let fh;
      try {
        fh = await open(path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reply.code(404).send({ error: 'evidence not found' });
        throw err;
      }
      const { size } = await fh.stat();
      return reply
        .header('content-type', 'image/jpeg')
        .header('content-length', size)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .send(fh.createReadStream());
    });
  };
}
