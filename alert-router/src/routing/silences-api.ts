/**
 * REST API for silences: `POST /api/v1/silences` (create), `GET /api/v1/silences` (list,
 * `?all=true` includes expired), `DELETE /api/v1/silences/:id` (expire now). Bodies validated by
 * schema. Authentication is the work-order half's (department users); pass its preHandler as
 * `authorize` (e.g. supervisors only). Without one, the routes are open: bind to loopback.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import { hasCode } from '@streetwatch/platform';
import { SilenceMatcher } from '../config/schema.js';
import type { SilenceStore } from './silences.js';

const CreateSilence = Type.Object(
  {
    matcher: SilenceMatcher,
    startsAt: Type.Optional(Type.String({ format: 'date-time' })),
    endsAt: Type.String({ format: 'date-time' }),
    createdBy: Type.String({ minLength: 1, maxLength: 128 }),
    comment: Type.String({ minLength: 1, maxLength: 1000 }),
  },
  { additionalProperties: false },
);

export function registerSilenceRoutes(
  app: FastifyInstance,
  deps: { silences: SilenceStore; authorize?: preHandlerHookHandler; onChange?: () => void },
): void {
  const pre = deps.authorize ? { preHandler: deps.authorize } : {};
  app.post<{ Body: Static<typeof CreateSilence> }>('/api/v1/silences', { ...pre, schema: { body: CreateSilence } }, async (req, reply) => {
    try {
      const s = await deps.silences.create(req.body);
      deps.onChange?.();
      return reply.code(201).send(s);
    } catch (e) {
      if (hasCode(e, 'SW_ROUTER_SILENCE_INVALID')) return reply.code(400).send({ code: 'SW_ROUTER_SILENCE_INVALID', message: (e as Error).message });
      throw e;
    }
  });
  app.get<{ Querystring: { all?: string } }>('/api/v1/silences', pre, async (req) => ({
    silences: await deps.silences.list({ includeExpired: req.query.all === 'true' }),
  }));
  app.delete<{ Params: { id: string } }>('/api/v1/silences/:id', pre, async (req, reply) => {
    try {
      const s = await deps.silences.expire(req.params.id);
      deps.onChange?.();
      return s;
    } catch (e) {
      if (hasCode(e, 'SW_ROUTER_SILENCE_NOT_FOUND')) return reply.code(404).send({ code: 'SW_ROUTER_SILENCE_NOT_FOUND', message: (e as Error).message });
      throw e;
    }
  });
}
