/**
 * HTTP side of evidence links:
 *  - POST /api/work-orders/:id/evidence/:index/link (bearer token, inside the /api scope: auth,
 *    rate limits, api_audit): a link for a caller who may see the order (another department's
 *    order answers 404, like a missing one);
 *  - GET /e/:token (public: <img> tags, phones, the robots' servers): the picture, checked and
 *    audited (EvidenceLinks.view). Errors are JSON `{ error: { code, message } }`.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '@streetwatch/platform';
import { sendError, toHttpError } from '../api/http.js';
import { errors } from '../api/schemas.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import type { WorkOrders } from '../workorders/service.js';
import type { EvidenceLinks } from './links.js';

const LinkParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }), index: Type.Integer({ minimum: 0, maximum: 19 }) });
const LinkQuery = Type.Object({ channel: Type.Union([Type.Literal('console'), Type.Literal('api')], { default: 'api' }) });
const LinkResponse = Type.Object({ url: Type.String(), expiresAt: Type.String({ format: 'date-time' }) });

/** The issuing route, mounted inside the /api scope (registerWorkOrderRoutes' `scoped`). */
export function evidenceLinkRoutes(wo: WorkOrders, links: EvidenceLinks | undefined): (api: FastifyInstance) => void {
  return (api) => {
    api.post<{ Params: { id: string; index: number }; Querystring: { channel: 'console' | 'api' } }>('/api/work-orders/:id/evidence/:index/link', {
      schema: {
        summary: 'A short-lived link to one evidence picture of a work order you may see (each view of it is audited)',
        tags: ['work orders'],
        security: [{ bearerAuth: [] as string[] }],
        params: LinkParams,
        querystring: LinkQuery,
        response: { 200: LinkResponse, ...errors(400, 401, 404, 429, 503) },
      },
      config: { auditAction: 'evidence_link' },
    }, async (req) => {
      const user = (req as FastifyRequest & { swUser: User | null }).swUser;
      if (!user) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
      if (!links) throw new WorkOrderError('SW_ROUTER_EVIDENCE_DISABLED');
      const { departmentId, evidence } = await wo.evidenceOf(user, req.params.id, req.params.index);
      return links.issue({
        workOrderId: req.params.id,
        departmentId,
        index: req.params.index,
        evidence,
        subject: user.id,
        role: user.role,
        channel: req.query.channel,
      });
    });
  };
}

/** The public viewing route, on the app itself (no bearer token: the link is the credential). */
export function registerEvidenceView(app: FastifyInstance, links: EvidenceLinks | undefined, log: Logger): void {
  app.get<{ Params: { token: string } }>('/e/:token', { schema: { hide: true } }, async (req, reply) => {
    try {
      if (!links) throw new WorkOrderError('SW_ROUTER_EVIDENCE_DISABLED');
      const ua = req.headers['user-agent'];
      const v = await links.view({ token: req.params.token, ip: req.ip, ...(typeof ua === 'string' && { userAgent: ua }) });
      const maxAge = Math.max(0, Math.min(300, Math.floor((v.expiresAt.getTime() - Date.now()) / 1000)));
      return await reply
        .header('content-type', v.contentType)
        .header('content-length', String(v.body.length))
        .header('cache-control', `private, max-age=${maxAge}`)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .send(v.body);
    } catch (err) {
      return sendError(reply, req, toHttpError(err, log));
    }
  });
}
