import { Type, type Static } from '@sinclair/typebox';

/** Request and response schemas of the work-order API (validation + OpenAPI). */

const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' });
const Time = Type.String({ format: 'date-time' });
const Text = (max: number, description?: string) => Type.String({ minLength: 1, maxLength: max, pattern: '\\S', ...(description ? { description } : {}) });

export const Status = Type.Union(
  ['dispatched', 'signed', 'handled', 'verified', 'closed', 'returned'].map((s) => Type.Literal(s)),
);
const Role = Type.Union([Type.Literal('staff'), Type.Literal('head'), Type.Literal('supervisor')]);

export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });
export type IdParams = Static<typeof IdParams>;
export const PhotoParams = Type.Object({ id: Id, photoId: Id }, { additionalProperties: false });
export type PhotoParams = Static<typeof PhotoParams>;

export const ListQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([...['dispatched', 'signed', 'handled', 'verified', 'closed', 'returned', 'open', 'all'].map((s) => Type.Literal(s))], {
        default: 'open',
        description: '`open` (default): not yet closed or returned; `all`: every status',
      }),
    ),
    departmentId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'supervisors only; ignored for others' })),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
    offset: Type.Integer({ minimum: 0, maximum: 1000000, default: 0 }),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

/**
 * `Idempotency-Key` on every action: one fresh key per action taken (the console makes a UUID); a
 * retry of the same action (offline queue, lost answer) sends the same key and is applied once.
 */
export const ActionHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._:-]+$',
      description: 'one key per action; a request repeating an applied key answers the order as it is now, with `Idempotent-Replayed: true`',
    }),
  ),
});
export type ActionHeaders = Static<typeof ActionHeaders>;

export const NoteBody = Type.Object({ note: Type.Optional(Type.String({ maxLength: 2000 })) }, { additionalProperties: false });
export type NoteBody = Static<typeof NoteBody>;

/** JSON or multipart/form-data (field `feedback`, files `photo`, jpeg/png, size- and count-limited). */
export const FeedbackBody = Type.Object(
  {
    feedback: Text(4000, '处置反馈: what was done on site'),
    photo: Type.Optional(Type.Unknown({ description: 'multipart only: one or more image files (field name `photo`)' })),
  },
  { additionalProperties: false },
);
export type FeedbackBody = Static<typeof FeedbackBody>;

export const VerifyBody = Type.Object(
  {
    result: Type.Union([Type.Literal('pass'), Type.Literal('reject')], { description: '核查: pass → verified; reject → back to signed (note required)' }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type VerifyBody = Static<typeof VerifyBody>;

export const ReturnBody = Type.Object({ reason: Text(2000, '退单 reason (required)') }, { additionalProperties: false });
export type ReturnBody = Static<typeof ReturnBody>;

export const RedispatchBody = Type.Object(
  { departmentId: Type.String({ minLength: 1, maxLength: 200 }), note: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
export type RedispatchBody = Static<typeof RedispatchBody>;

export const MarkBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('false_positive'), Type.Literal('duplicate')]),
    duplicateOf: Type.Optional(Id),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);
export type MarkBody = Static<typeof MarkBody>;

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      fields: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    }),
  },
  { description: 'Every error: a stable code, a message, and the offending fields when input was invalid' },
);

const Site = Type.Object({
  cameraIds: Type.Array(Type.String()),
  zoneId: Type.Optional(Type.String()),
  gridId: Type.Optional(Type.String()),
  communityId: Type.Optional(Type.String()),
  shopId: Type.Optional(Type.String()),
  location: Type.Optional(Type.Object({ lat: Type.Number(), lon: Type.Number() })),
});

const SummaryProps = {
  id: Type.String(),
  number: Type.Integer(),
  alertId: Type.String(),
  departmentId: Type.String(),
  status: Status,
  version: Type.Integer(),
  type: Type.String(),
  severity: Type.String(),
  title: Type.String(),
  site: Site,
  evidence: Type.Array(
    Type.Object({
      index: Type.Integer({ minimum: 0 }),
      stored: Type.Boolean({ description: 'in the evidence store (false: it stayed on an old edge box)' }),
      sha256: Type.String(),
      cameraId: Type.Optional(Type.String()),
      capturedAt: Type.Optional(Time),
    }),
    { description: 'pictures; POST /api/work-orders/{id}/evidence/{index}/link gives a short-lived link to one' },
  ),
  eventTime: Time,
  dispatchedAt: Time,
  updatedAt: Time,
  deadline: Type.Optional(Type.Object({ step: Type.String(), at: Time })),
  escalationLevel: Type.Integer(),
  clearedAt: Type.Optional(Time),
  resolution: Type.Optional(Type.String()),
  returnReason: Type.Optional(Type.String()),
  feedback: Type.Optional(Type.String()),
  redispatchedFrom: Type.Optional(Type.String()),
  redispatchedTo: Type.Optional(Type.String()),
  actions: Type.Array(Type.String(), { description: 'lifecycle actions this user may take now' }),
};

export const WorkOrderSummary = Type.Object(SummaryProps);

export const WorkOrderList = Type.Object({
  items: Type.Array(WorkOrderSummary),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const WorkOrderDetail = Type.Object({
  ...SummaryProps,
  signedAt: Type.Optional(Time),
  signedBy: Type.Optional(Type.String()),
  handledAt: Type.Optional(Time),
  handledBy: Type.Optional(Type.String()),
  verifiedAt: Type.Optional(Time),
  verifiedBy: Type.Optional(Type.String()),
  closedAt: Type.Optional(Time),
  closedBy: Type.Optional(Type.String()),
  history: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      eventId: Type.String(),
      action: Type.String(),
      fromStatus: Type.Optional(Type.String()),
      toStatus: Type.String(),
      actor: Type.Object({ kind: Type.String(), id: Type.String(), role: Type.Optional(Type.String()) }),
      note: Type.Optional(Type.String()),
      deadline: Type.Optional(Time),
      at: Time,
    }),
  ),
  photos: Type.Array(
    Type.Object({
      id: Type.String(),
      url: Type.String(),
      contentType: Type.String(),
      bytes: Type.Integer(),
      sha256: Type.String(),
      uploadedBy: Type.String(),
      at: Time,
    }),
  ),
  escalations: Type.Array(
    Type.Object({
      key: Type.String(),
      step: Type.String(),
      level: Type.Integer(),
      target: Type.String(),
      dueAt: Time,
      firedAt: Time,
      notifiedAt: Type.Optional(Time),
    }),
  ),
});

export const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  departmentId: Type.String(),
  role: Role,
  departments: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  console: Type.Object({
    title: Type.String(),
    timeZone: Type.String(),
    map: Type.Optional(Type.Object({ minLat: Type.Number(), maxLat: Type.Number(), minLon: Type.Number(), maxLon: Type.Number() })),
    /** Photo limits, so the console can shrink a phone's photo before sending it. */
    uploads: Type.Optional(Type.Object({ maxFileBytes: Type.Integer(), maxFiles: Type.Integer(), allowedTypes: Type.Array(Type.String()) })),
  }),
});

export const PrecisionList = Type.Object({
  items: Type.Array(
    Type.Object({
      zoneId: Type.String(),
      cameraId: Type.String(),
      type: Type.String(),
      alerts: Type.Integer(),
      falsePositives: Type.Integer(),
      duplicates: Type.Integer(),
      precision: Type.Number(),
    }),
  ),
});

/** Standard error responses for a route: `{ 401: ErrorResponse, ... }`. */
export function errors(...codes: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(codes.map((c) => [c, ErrorResponse]));
}
