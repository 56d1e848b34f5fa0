import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI 3 document of every route registered after this (dynamic mode), served at
 * `/openapi.json`. Registered once per app; the delivery half's silences are mounted inside the
 * work-order API's scope (`registerWorkOrderRoutes(app, { scoped })`) and appear in it too.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  if (app.hasDecorator('swagger')) return;
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'streetwatch alert router',
        version: '1.0.0',
        description:
          'Work orders for departments (派遣 dispatch → 签收 sign → 处置 handle → 反馈 feedback → 核查 verify → 结案 close; 退单 return). ' +
          'Bearer token per department user. Another department’s work order answers 404, like a missing one, so its existence does not leak. ' +
          'Errors: `{ error: { code, message, fields? } }` with a stable code.',
      },
      tags: [
        { name: 'work orders', description: 'Lifecycle, feedback and evidence' },
        { name: 'console', description: 'Department console page and its live stream' },
        { name: 'silences', description: 'Mute notifications of matching alerts for a while (supervisors: any department; heads: their own)' },
      ],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'A department user’s token' } },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
