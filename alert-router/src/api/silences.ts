import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hasCode, StreetwatchError } from '@streetwatch/platform';
import { SilenceMatcher } from '../config/schema.js';
import type { Silence, SilenceStore } from '../routing/silences.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import { errors } from './schemas.js';

/**
 * The silence API (`/api/v1/silences`), mounted inside the work-order API's `/api` scope (pass
 * `silenceRoutes(...)` in `registerWorkOrderRoutes`' `scoped`), so it has the same bearer-token
 * auth, rate limits, audit rows (`silence_list`, `silence_create`, `silence_expire`), error format
 * and OpenAPI document.
 *
 * Who may do what (the same visibility rule as work orders: what you may not see answers 404):
 * - list: everyone; staff and heads see the silences that apply to their department (its own and
 *   the ones for every department), supervisors all (or `?departmentId=`).
 * - create: supervisors, for every department (no `departmentId`) or one; heads, for their own
 *   department only (the silence then mutes only notifications to that department, whatever it
 *   matches) and without `regex` matchers (a regular expression runs on every alert of the city);
 *   staff: 403.
 * - expire: supervisors any; heads their own department's (403 for silences of every department,
 *   which are the supervisors'; 404 for another department's); staff: 403.
 * The author and who expired it are the authenticated users; the body cannot name them.
 */
export interface SilenceRouteDeps {
  readonly silences: Pick<SilenceStore, 'create' | 'list' | 'get' | 'expire'>;
  /** The departments notifications are routed to (router config `departments`). */
  readonly departments: readonly string[];
  /** A silence was created or expired (the pipeline re-evaluates held groups). */
  readonly onChange?: () => void;
}

const Time = Type.String({ format: 'date-time' });
const DepartmentId = (description: string) => Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$', description });

const CreateSilence = Type.Object(
  {
    matcher: SilenceMatcher,
    startsAt: Type.Optional(Time),
    endsAt: Time,
    comment: Type.String({ minLength: 1, maxLength: 1000, pattern: '\\S', description: 'why (road works, known false positives...)' }),
    departmentId: Type.Optional(DepartmentId('mute only notifications to this department; heads: their own (the default for heads)')),
  },
  { additionalProperties: false },
);
type CreateSilence = Static<typeof CreateSilence>;

const ListQuery = Type.Object(
  {
    all: Type.Boolean({ default: false, description: 'include expired silences' }),
    departmentId: Type.Optional(DepartmentId('supervisors only; ignored for others')),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;

const SilenceParams = Type.Object({ silenceId: Type.String({ minLength: 1, maxLength: 100, pattern: '^sil-[A-Za-z0-9-]+$' }) }, { additionalProperties: false });
type SilenceParams = Static<typeof SilenceParams>;

const SilenceView = Type.Object({
  silenceId: Type.String(),
  matcher: SilenceMatcher,
  startsAt: Time,
  endsAt: Time,
  departmentId: Type.Optional(Type.String({ description: 'absent: every department' })),
  createdBy: Type.String(),
  comment: Type.String(),
  createdAt: Time,
  expiredAt: Type.Optional(Time),
  expiredBy: Type.Optional(Type.String()),
  state: Type.Union([Type.Literal('pending'), Type.Literal('active'), Type.Literal('expired')]),
});
const SilenceList = Type.Object({ silences: Type.Array(SilenceView) });

/**
 * Unknown keys are refused, not dropped: fastify's validator strips properties a schema does not
 * list, and a matcher that silently lost a mistyped field (`zones: P1`) would silence more than
 * asked. Checked before validation, where the body is still as sent.
 */
function unknownKeys(schema: TSchema, value: unknown, path: string, out: Array<{ path: string; message: string }>): void {
  if (schema.type !== 'object' || typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const props = (schema.properties ?? {}) as Record<string, TSchema>;
  for (const [k, v] of Object.entries(value)) {
    const sub = props[k];
    if (sub) unknownKeys(sub, v, `${path}/${k}`, out);
    else if (schema.additionalProperties === false) out.push({ path: `${path}/${k}`, message: 'is not allowed (unknown field)' });
  }
}

async function refuseUnknownKeys(req: FastifyRequest): Promise<void> {
  const fields: Array<{ path: string; message: string }> = [];
  unknownKeys(CreateSilence, req.body, 'body', fields);
  if (fields.length) throw new WorkOrderError('SW_ROUTER_INVALID_INPUT', 'the request does not match its schema', { fields });
}

function userOf(req: FastifyRequest): User {
  if (!req.swUser) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
  return req.swUser;
}

/** Visible = applies to the user's department; supervisors see every silence. */
function visible(u: User, s: Silence | undefined): s is Silence {
  return s !== undefined && (u.role === 'supervisor' || s.departmentId === undefined || s.departmentId === u.departmentId);
}

const forbidden = (message: string, details: Record<string, unknown>): WorkOrderError =>
  new WorkOrderError('SW_ROUTER_WO_ROLE_FORBIDDEN', message, { details });

/** Missing, expired, or another department's: the same answer, so existence does not leak. */
const notFound = (id: string): StreetwatchError => new StreetwatchError('SW_ROUTER_SILENCE_NOT_FOUND', `no active silence ${id}`, { retryable: false });

/** Routes for `registerWorkOrderRoutes(app, { scoped: [silenceRoutes(deps)] })`. */
export function silenceRoutes(deps: SilenceRouteDeps): (api: FastifyInstance) => void {
  const known = new Set(deps.departments);
  const tags = ['silences'];
  const security = [{ bearerAuth: [] as string[] }];
  return (api) => {
    api.get<{ Querystring: ListQuery }>(
      '/api/v1/silences',
      {
        schema: {
          summary: 'Silences that apply to your department (supervisors: all, or ?departmentId=); ?all=true includes expired ones',
          tags,
          security,
          querystring: ListQuery,
          response: { 200: SilenceList, ...errors(400, 401, 429) },
        },
        config: { auditAction: 'silence_list' },
      },
      async (req) => {
        const u = userOf(req);
        const departmentId = u.role === 'supervisor' ? req.query.departmentId : u.departmentId;
        return { silences: await deps.silences.list({ includeExpired: req.query.all, ...(departmentId !== undefined ? { departmentId } : {}) }) };
      },
    );

    api.post<{ Body: CreateSilence }>(
      '/api/v1/silences',
      {
        schema: {
          summary: 'Create a silence: matching alerts are not notified until it ends (supervisors: any department; heads: their own)',
          tags,
          security,
          body: CreateSilence,
          response: { 201: SilenceView, ...errors(400, 401, 403, 429) },
        },
        config: { auditAction: 'silence_create' },
        preValidation: refuseUnknownKeys,
      },
      async (req, reply) => {
        const u = userOf(req);
        const b = req.body;
        let departmentId = b.departmentId;
        if (u.role === 'staff') throw forbidden('staff may not create silences (heads: their department; supervisors: any)', { role: u.role });
        if (u.role === 'head') {
          departmentId ??= u.departmentId;
          if (departmentId !== u.departmentId) throw forbidden(`a head may silence only their own department (${u.departmentId})`, { role: u.role });
          if (b.matcher.regex !== undefined) throw forbidden('regex matchers are for supervisors', { role: u.role });
        }
        if (departmentId !== undefined && !known.has(departmentId)) {
          throw new WorkOrderError('SW_ROUTER_WO_UNKNOWN_DEPARTMENT', `department ${departmentId} is not configured`, {
            fields: [{ path: 'body/departmentId', message: 'is not a configured department' }],
          });
        }
        const s = await deps.silences.create({
          matcher: b.matcher,
          endsAt: b.endsAt,
          comment: b.comment,
          createdBy: u.id,
          ...(b.startsAt !== undefined ? { startsAt: b.startsAt } : {}),
          ...(departmentId !== undefined ? { departmentId } : {}),
        });
        req.swAudit = { silenceId: s.silenceId, departmentId: s.departmentId ?? '*', startsAt: s.startsAt, endsAt: s.endsAt };
        deps.onChange?.();
        return reply.code(201).send(s);
      },
    );

    api.delete<{ Params: SilenceParams }>(
      '/api/v1/silences/:silenceId',
      {
        schema: {
          summary: 'Expire a silence now (supervisors: any; heads: their department’s)',
          tags,
          security,
          params: SilenceParams,
          response: { 200: SilenceView, ...errors(400, 401, 403, 404, 429) },
        },
        config: { auditAction: 'silence_expire' },
      },
      async (req) => {
        const u = userOf(req);
        const id = req.params.silenceId;
        req.swAudit = { silenceId: id };
        const s = await deps.silences.get(id);
        if (!visible(u, s) || s.state === 'expired') throw notFound(id);
        if (u.role === 'staff') throw forbidden('staff may not expire silences', { role: u.role });
        if (u.role === 'head' && s.departmentId !== u.departmentId) {
          throw forbidden('a silence for every department is expired by a supervisor', { role: u.role });
        }
        try {
          const done = await deps.silences.expire(id, u.id);
          deps.onChange?.();
          return done;
        } catch (e) {
          // Expired by someone else between the read and the update.
          if (hasCode(e, 'SW_ROUTER_SILENCE_NOT_FOUND')) throw notFound(id);
          throw e;
        }
      },
    );
  };
}
