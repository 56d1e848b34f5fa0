import type { FastifyReply, FastifyRequest } from 'fastify';
import { StreetwatchError, type Logger, type Pool } from '@streetwatch/platform';
import { API_STATUS_OF_DELIVERY_ERRORS } from '../errors.js';
import { WorkOrderError, type FieldProblem, type WorkOrderErrorCode } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated department user (null before auth / on public routes). */
    swUser: User | null;
    /** The error code answered, for the audit row. */
    swErrorCode: string | null;
    /** Extra facts for the audit row (resulting status...). Never the token, never free text. */
    swAudit: Record<string, unknown> | null;
  }
  interface FastifyContextConfig {
    /** The action name in the audit log; routes without it are not audited. */
    auditAction?: string;
    /** No bearer token needed (the console page and its assets). */
    public?: boolean;
  }
}

export interface HttpError {
  readonly status: number;
  readonly body: { error: { code: string; message: string; fields?: FieldProblem[] } };
}

const MULTIPART: Record<string, WorkOrderErrorCode> = {
  FST_REQ_FILE_TOO_LARGE: 'SW_ROUTER_UPLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'SW_ROUTER_UPLOAD_TOO_MANY',
  FST_PARTS_LIMIT: 'SW_ROUTER_UPLOAD_TOO_MANY',
  FST_FIELDS_LIMIT: 'SW_ROUTER_UPLOAD_TOO_MANY',
  FST_ERR_CTP_BODY_TOO_LARGE: 'SW_ROUTER_UPLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SW_ROUTER_UPLOAD_TYPE',
};

interface FastifyValidationError {
  validation?: Array<{ instancePath?: string; message?: string; params?: { missingProperty?: string; additionalProperty?: string } }>;
  validationContext?: string;
  code?: string;
  statusCode?: number;
  message: string;
}

/** Any error → the status and `{ error: { code, message, fields } }` body the API answers with. */
export function toHttpError(err: unknown, log: Logger): HttpError {
  if (err instanceof WorkOrderError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.fields.length ? { fields: [...err.fields] } : {}) } } };
  }
  const apiStatus = err instanceof StreetwatchError ? API_STATUS_OF_DELIVERY_ERRORS[err.code as keyof typeof API_STATUS_OF_DELIVERY_ERRORS] : undefined;
  if (apiStatus !== undefined) {
    const s = err as StreetwatchError;
    return { status: apiStatus, body: { error: { code: s.code, message: s.message } } };
  }
  const e = err as FastifyValidationError;
  if (e.validation) {
    const fields = e.validation.map((v) => {
      const extra = v.params?.missingProperty ?? v.params?.additionalProperty;
      return { path: `${e.validationContext ?? 'body'}${v.instancePath ?? ''}${extra ? `/${extra}` : ''}`, message: v.message ?? 'invalid' };
    });
    return { status: 400, body: { error: { code: 'SW_ROUTER_INVALID_INPUT', message: 'the request does not match its schema', fields } } };
  }
  const mapped = e.code ? MULTIPART[e.code] : undefined;
  if (mapped) {
    const w = new WorkOrderError(mapped, e.message);
    return { status: w.status, body: { error: { code: w.code, message: e.message } } };
  }
  if (e.statusCode === 429) {
    return { status: 429, body: { error: { code: 'SW_ROUTER_RATE_LIMITED', message: e.message } } };
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: { code: 'SW_ROUTER_INVALID_INPUT', message: e.message } } };
  }
  log.error({ err }, 'work-order API: internal error');
  return { status: 500, body: { error: { code: 'SW_ROUTER_INTERNAL', message: 'internal error' } } };
}

function resultOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 429) return 'rate_limited';
  if (status < 500) return 'invalid';
  return 'error';
}

/** One audit row per API action: who, what, when, from where, and the result. */
export async function writeAudit(
  pool: Pool,
  req: FastifyRequest,
  statusCode: number,
  at: Date,
  action = req.routeOptions.config.auditAction ?? 'unknown',
): Promise<string> {
  const u = req.swUser;
  const params = (req.params ?? {}) as { id?: string };
  const result = resultOf(statusCode);
  await pool.query(
    `INSERT INTO api_audit (at, user_id, department_id, role, action, work_order_id, method, path, ip, user_agent, result, status_code, error_code, detail)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      at,
      u?.id ?? null,
      u?.departmentId ?? null,
      u?.role ?? null,
      action,
      typeof params.id === 'string' ? params.id.slice(0, 200) : null,
      req.method,
      (req.routeOptions.url ?? req.url.split('?')[0] ?? '').slice(0, 300),
      req.ip,
      String(req.headers['user-agent'] ?? '').slice(0, 200) || null,
      result,
      statusCode,
      req.swErrorCode,
      req.swAudit ? JSON.stringify(req.swAudit) : null,
    ],
  );
  return result;
}

export function sendError(reply: FastifyReply, req: FastifyRequest, e: HttpError): FastifyReply {
  req.swErrorCode = e.body.error.code;
  if (e.status === 401) reply.header('www-authenticate', 'Bearer realm="streetwatch"');
  return reply.code(e.status).send(e.body);
}
