import { createReadStream } from 'node:fs';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { registerConsole } from '../console/page.js';
import { registerStream } from '../console/sse.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import type { IncomingPhoto } from '../workorders/photos.js';
import type { WorkOrders } from '../workorders/service.js';
import type { UserAction } from '../workorders/states.js';
import { AuthFailureLimiter, Authenticator, sha256Hex } from './auth.js';
import { pgRateLimitStore } from './rate-limit-store.js';
import { sendError, toHttpError, writeAudit } from './http.js';
import { registerOpenApi } from './openapi.js';
import {
  ActionHeaders,
  errors,
  FeedbackBody,
  IdParams,
  ListQuery,
  MarkBody,
  Me,
  NoteBody,
  PhotoParams,
  PrecisionList,
  RedispatchBody,
  ReturnBody,
  VerifyBody,
  WorkOrderDetail,
  WorkOrderList,
} from './schemas.js';

export interface WorkOrderRouteDeps {
  readonly workOrders: WorkOrders;
  /**
   * More routes mounted inside the `/api` scope, with its bearer-token auth, rate limits, audit
   * (routes that set `config.auditAction`), error format and OpenAPI document: e.g. the
   * delivery half's silences (`silenceRoutes` in ./silences.ts).
   */
  readonly scoped?: ReadonlyArray<(api: FastifyInstance) => void | Promise<void>>;
}

/**
 * The work-order REST API (`/api/...`), its OpenAPI document (`/openapi.json`) and the department
 * console (`/console`, `/api/stream`), on an app made by the platform's createOpsServer. Call it
 * before registering other routes that should appear in the OpenAPI document.
 *
 * Security model: every /api route needs `Authorization: Bearer <token>` of a configured user;
 * users see and act on their own department's work orders only (another department's order answers
 * 404, exactly like a missing one, so existence does not leak); supervisors see all departments;
 * roles limit actions (staff: sign, handle, feedback, return; head: also verify, close, mark;
 * supervisor: all departments, re-dispatch, no return). Every request is audited (api_audit) and
 * rate-limited per user; failed logins are counted per IP (a valid token is checked first and never
 * refused for its address's failures; past the limit further failures answer 429). Both counts are
 * kept in PostgreSQL, so every instance counts against the same limits.
 */
export async function registerWorkOrderRoutes(app: FastifyInstance, deps: WorkOrderRouteDeps): Promise<void> {
  const wo = deps.workOrders;
  await registerOpenApi(app);
  // Open console streams would keep app.close() waiting: end them first.
  app.addHook('preClose', async () => wo.hub.closeAll());
  await app.register(async (api) => {
    const auth = new Authenticator(wo.config.users, wo.env, { pool: wo.pool, clock: wo.clock });
    const failures = new AuthFailureLimiter(wo.pool, wo.config.api.authFailuresPerMinute);
    for (const x of auth.expiringConfigTokens(new Date(wo.clock.now() + 14 * 86_400_000))) {
      wo.log.warn({ userId: x.userId, expiresAt: x.expiresAt.toISOString() }, 'a config API token expires within 14 days: issue a new one (alert-router tokens issue)');
    }
    api.decorateRequest('swUser', null);
    api.decorateRequest('swErrorCode', null);
    api.decorateRequest('swAudit', null);

    // The token is checked first, so a valid one is never refused for what other requests from
    // its address did (behind an ingress or an office NAT, many users share one address). Only a
    // failure consults the address's failure count: past the limit it answers 429, not 401.
    api.addHook('onRequest', async (req) => {
      if (req.routeOptions.config.public) return;
      try {
        req.swUser = (await auth.authenticate(req.headers.authorization)).user;
      } catch (err) {
        if (!(err instanceof WorkOrderError) || err.status !== 401) throw err;
        if (await failures.fail(req.ip)) {
          throw new WorkOrderError('SW_ROUTER_RATE_LIMITED', 'too many failed logins from this address; retry in a minute');
        }
        throw err;
      }
    });
    await api.register(rateLimit, {
      store: pgRateLimitStore(wo.pool, wo.config.api.rateLimitWindowMs),
      max: wo.config.api.rateLimitMax,
      timeWindow: wo.config.api.rateLimitWindowMs,
      // Per user (all of a user's tokens share one budget, also while two are valid during a
      // rotation); per address on public routes.
      keyGenerator: (req) => (req.swUser ? `u:${sha256Hex(req.swUser.id).slice(0, 32)}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) => new WorkOrderError('SW_ROUTER_RATE_LIMITED', `rate limit exceeded, retry in ${ctx.after}`),
    });
    await api.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: {
        fileSize: wo.config.uploads.maxFileBytes,
        files: wo.config.uploads.maxFiles,
        fields: 10,
        fieldSize: 16 * 1024,
        parts: wo.config.uploads.maxFiles + 10,
        headerPairs: 100,
      },
      async onFile(part) {
        const buffer = await part.toBuffer();
        const photo: IncomingPhoto = { filename: part.filename, mimetype: part.mimetype, buffer };
        (part as unknown as { value: IncomingPhoto }).value = photo;
      },
    });
    api.addHook('preValidation', async (req) => {
      if (req.method === 'POST' && (req.body === undefined || req.body === null)) req.body = {};
    });
    api.setErrorHandler((err, req, reply) => sendError(reply, req, toHttpError(err, wo.log)));
    // Before the response is written (onSend, not onResponse): a client that saw the result of an
    // action can rely on its audit row existing, and rows of one user's sequential requests are
    // written in order.
    api.addHook('onSend', async (req, reply) => {
      const action = req.routeOptions.config.auditAction;
      if (!action) return;
      try {
        const result = await writeAudit(wo.pool, req, reply.statusCode, new Date(wo.clock.now()));
        wo.metrics.apiRequests.inc({ action, result });
      } catch (err) {
        wo.log.error({ err, action }, 'audit row not written');
      }
    });

    const user = (req: FastifyRequest): User => {
      if (!req.swUser) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
      return req.swUser;
    };
    const tags = ['work orders'];
    const secured = [{ bearerAuth: [] as string[] }];

    api.get('/api/me', {
      schema: { summary: 'Who am I (user, department, role) and the console settings', tags, security: secured, response: { 200: Me, ...errors(401, 429) } },
      config: { auditAction: 'me' },
    }, async (req) => {
      const u = user(req);
      const names = new Map(wo.config.departments.map((d) => [d.id, d.name]));
      for (const x of wo.config.users) if (!names.has(x.departmentId)) names.set(x.departmentId, x.departmentId);
      return {
        ...u,
        departments: [...names].map(([id, name]) => ({ id, name })),
        console: {
          title: wo.config.console.title,
          timeZone: wo.config.timeZone,
          ...(wo.config.console.map ? { map: wo.config.console.map } : {}),
          uploads: { maxFileBytes: wo.config.uploads.maxFileBytes, maxFiles: wo.config.uploads.maxFiles, allowedTypes: [...wo.config.uploads.allowedTypes] },
        },
      };
    });

    api.get<{ Querystring: ListQuery }>('/api/work-orders', {
      schema: {
        summary: 'List work orders (own department; supervisors: all or ?departmentId=)',
        tags,
        security: secured,
        querystring: ListQuery,
        response: { 200: WorkOrderList, ...errors(400, 401, 429) },
      },
      config: { auditAction: 'list' },
    }, async (req) => {
      const q = req.query;
      const limit = Math.min(q.limit, wo.config.api.pageSizeMax);
      const r = await wo.list(user(req), { status: q.status as never, departmentId: q.departmentId, limit, offset: q.offset });
      return { ...r, limit, offset: q.offset };
    });

    api.get<{ Params: IdParams }>('/api/work-orders/:id', {
      schema: {
        summary: 'One work order with history, evidence, location, photos and escalations',
        tags,
        security: secured,
        params: IdParams,
        response: { 200: WorkOrderDetail, ...errors(400, 401, 404, 429) },
      },
      config: { auditAction: 'get' },
    }, async (req) => wo.get(user(req), req.params.id));

    api.get<{ Params: PhotoParams }>('/api/work-orders/:id/photos/:photoId', {
      schema: { summary: 'A 处置/反馈 photo (image bytes)', tags, security: secured, params: PhotoParams, response: errors(400, 401, 404, 429) },
      config: { auditAction: 'photo' },
    }, async (req, reply) => {
      const p = await wo.photo(user(req), req.params.id, req.params.photoId);
      reply
        .header('content-type', p.contentType)
        .header('content-length', String(p.bytes))
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'private, max-age=3600');
      return reply.send(createReadStream(p.path));
    });

    const action = <B>(
      path: string,
      name: string,
      summary: string,
      body: unknown,
      toAction: (b: B) => { action: UserAction; input: Parameters<WorkOrders['act']>[3] },
      multipartToo = false,
    ) =>
      api.post<{ Params: IdParams; Body: B; Headers: ActionHeaders }>(path, {
        schema: {
          summary,
          tags,
          security: secured,
          params: IdParams,
          headers: ActionHeaders,
          body,
          ...(multipartToo ? { consumes: ['application/json', 'multipart/form-data'] } : {}),
          response: { 200: WorkOrderDetail, ...errors(400, 401, 403, 404, 409, 413, 415, 422, 429) },
        },
        config: { auditAction: name },
      }, async (req, reply) => {
        const { action: a, input } = toAction(req.body as B);
        const key = req.headers['idempotency-key'];
        const { order: d, replayed } = await wo.actOnce(user(req), req.params.id, a, { ...input, ...(key ? { idempotencyKey: key } : {}) });
        req.swAudit = { status: d.status, version: d.version, ...(replayed ? { replayed: true } : {}) };
        if (replayed) reply.header('idempotent-replayed', 'true');
        return d;
      });

    action<NoteBody>('/api/work-orders/:id/sign', 'sign', '签收 sign (dispatched → signed)', NoteBody, (b) => ({ action: 'sign', input: { note: b.note } }));
    action<FeedbackBody>('/api/work-orders/:id/handle', 'handle', '处置 handle with feedback text and photos (signed → handled)', FeedbackBody, (b) => ({
      action: 'handle',
      input: { feedback: b.feedback, photos: photosOf(b.photo) },
    }), true);
    action<FeedbackBody>('/api/work-orders/:id/feedback', 'feedback', '反馈 more feedback/photos on a handled order', FeedbackBody, (b) => ({
      action: 'feedback',
      input: { feedback: b.feedback, photos: photosOf(b.photo) },
    }), true);
    action<VerifyBody>('/api/work-orders/:id/verify', 'verify', '核查 verify: pass (handled → verified) or reject (→ signed, note required)', VerifyBody, (b) => ({
      action: b.result === 'pass' ? 'verify' : 'reject',
      input: { note: b.note },
    }));
    action<NoteBody>('/api/work-orders/:id/close', 'close', '结案 close (verified → closed)', NoteBody, (b) => ({ action: 'close', input: { note: b.note } }));
    action<ReturnBody>('/api/work-orders/:id/return', 'return', '退单 return to the dispatcher with a reason (dispatched/signed → returned)', ReturnBody, (b) => ({
      action: 'return',
      input: { reason: b.reason },
    }));
    action<RedispatchBody>('/api/work-orders/:id/redispatch', 'redispatch', '重新派遣 re-dispatch a returned order (supervisor)', RedispatchBody, (b) => ({
      action: 'redispatch',
      input: { departmentId: b.departmentId, note: b.note },
    }));
    action<MarkBody>('/api/work-orders/:id/mark', 'mark', 'Mark the alert false positive (误报) or duplicate (重复); closes the order', MarkBody, (b) => ({
      action: b.kind === 'false_positive' ? 'mark_false_positive' : 'mark_duplicate',
      input: { note: b.note, duplicateOf: b.duplicateOf },
    }));

    api.get('/api/precision', {
      schema: {
        summary: "Alert precision per zone and camera (false positives / duplicates): a head's own department's alerts; supervisors: all",
        tags,
        security: secured,
        response: { 200: PrecisionList, ...errors(401, 403, 429) },
      },
      config: { auditAction: 'precision' },
    }, async (req) => {
      const u = user(req);
      if (u.role === 'staff') throw new WorkOrderError('SW_ROUTER_WO_ROLE_FORBIDDEN', 'precision figures are for heads and supervisors');
      return { items: await wo.precision(u.role === 'supervisor' ? undefined : u.departmentId) };
    });

    registerStream(api, wo);
    for (const register of deps.scoped ?? []) await register(api);
  });
  if (wo.config.console.enabled) await registerConsole(app, wo);
}

function photosOf(v: unknown): IncomingPhoto[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return list.map((p) => {
    const x = p as Partial<IncomingPhoto> | undefined;
    if (!x || !Buffer.isBuffer(x.buffer) || typeof x.mimetype !== 'string') {
      throw new WorkOrderError('SW_ROUTER_INVALID_INPUT', 'photo must be uploaded as a file (multipart/form-data)', {
        fields: [{ path: 'body/photo', message: 'must be a file part' }],
      });
    }
    return { filename: String(x.filename ?? 'photo'), mimetype: x.mimetype, buffer: x.buffer };
  });
}
