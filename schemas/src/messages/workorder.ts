import { Type, type Static } from '@sinclair/typebox';
import { Alert } from './alert.js';
import { Id, SchemaVersion, Timestamp } from './common.js';

/** One attempt to tell a department about an alert on one channel, and its outcome. */
export const Delivery = Type.Object(
  {
    schemaVersion: SchemaVersion,
    deliveryId: Id,
    alertId: Id,
    workOrderId: Type.Optional(Id),
    departmentId: Id,
    channel: Type.Object(
      { type: Type.String({ minLength: 1, maxLength: 32 }), name: Type.String({ minLength: 1, maxLength: 64 }) },
      { additionalProperties: false },
    ),
    attempt: Type.Integer({ minimum: 1 }),
    /** `uncertain`: the router crashed between the provider accepting and the router recording it. */
    outcome: Type.Union([
      Type.Literal('intent'),
      Type.Literal('sent'),
      Type.Literal('retrying'),
      Type.Literal('failed'),
      Type.Literal('dead'),
      Type.Literal('uncertain'),
      Type.Literal('suppressed'),
    ]),
    providerMessageId: Type.Optional(Type.String({ maxLength: 256 })),
    error: Type.Optional(
      Type.Object(
        { code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 1024 }) },
        { additionalProperties: false },
      ),
    ),
    at: Timestamp,
  },
  { additionalProperties: false, title: 'Delivery' },
);
export type Delivery = Static<typeof Delivery>;

export const WorkOrderStatus = Type.Union([
  Type.Literal('dispatched'),
  Type.Literal('signed'),
  Type.Literal('handled'),
  Type.Literal('verified'),
  Type.Literal('closed'),
  Type.Literal('returned'),
]);
export type WorkOrderStatus = Static<typeof WorkOrderStatus>;

/** Every transition of a work order (派遣 签收 处置 反馈 核查 结案 退单), as it happened. */
export const WorkOrderEvent = Type.Object(
  {
    schemaVersion: SchemaVersion,
    eventId: Id,
    workOrderId: Id,
    alertId: Id,
    departmentId: Id,
    action: Type.Union([
      Type.Literal('dispatched'),
      Type.Literal('signed'),
      Type.Literal('handled'),
      Type.Literal('feedback'),
      Type.Literal('verified'),
      Type.Literal('verify_rejected'),
      Type.Literal('closed'),
      Type.Literal('returned'),
      Type.Literal('escalated'),
      Type.Literal('marked_false_positive'),
      Type.Literal('marked_duplicate'),
      Type.Literal('violation_cleared'),
    ]),
    status: WorkOrderStatus,
    actor: Type.Object(
      {
        kind: Type.Union([Type.Literal('user'), Type.Literal('system')]),
        id: Type.String({ minLength: 1, maxLength: 128 }),
        role: Type.Optional(
          Type.Union([Type.Literal('staff'), Type.Literal('head'), Type.Literal('supervisor'), Type.Literal('system')]),
        ),
      },
      { additionalProperties: false },
    ),
    note: Type.Optional(Type.String({ maxLength: 4000 })),
    deadline: Type.Optional(Timestamp),
    at: Timestamp,
  },
  { additionalProperties: false, title: 'WorkOrderEvent' },
);
export type WorkOrderEvent = Static<typeof WorkOrderEvent>;

/** What a department's own queue (`streetwatch.dept.<id>.v1`) carries: the alert and its work order. */
export const DepartmentNotice = Type.Object(
  {
    schemaVersion: SchemaVersion,
    noticeId: Id,
    departmentId: Id,
    workOrderId: Id,
    alert: Alert,
    at: Timestamp,
  },
  { additionalProperties: false, title: 'DepartmentNotice' },
);
export type DepartmentNotice = Static<typeof DepartmentNotice>;

/** What a dead-letter topic carries: the original bytes and why they were refused. */
export const DeadLetter = Type.Object(
  {
    schemaVersion: SchemaVersion,
    originalTopic: Type.String({ minLength: 1 }),
    partition: Type.Integer({ minimum: 0 }),
    offset: Type.String({ pattern: '^[0-9]+$' }),
    key: Type.Optional(Type.String()),
    /** Stable code: SW_CONTRACT_MALFORMED_JSON, SW_CONTRACT_INVALID, ... */
    code: Type.String({ minLength: 1, maxLength: 64 }),
    reason: Type.String({ minLength: 1, maxLength: 4000 }),
    errors: Type.Array(
      Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }),
      { maxItems: 50 },
    ),
    /** The original value, base64. */
    payloadBase64: Type.String(),
    consumerGroup: Type.String({ minLength: 1 }),
    at: Timestamp,
  },
  { additionalProperties: false, title: 'DeadLetter' },
);
export type DeadLetter = Static<typeof DeadLetter>;
