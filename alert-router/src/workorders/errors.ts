import { StreetwatchError } from '@streetwatch/platform';

/**
 * Error codes of the work-order half (lifecycle, API, console). Callers and HTTP clients branch on
 * `code`, never on the message. `status` is the HTTP status the API answers with.
 */
export const WORKORDER_ERRORS = {
  SW_ROUTER_WO_NOT_FOUND: { status: 404, text: 'no such work order (or not visible to this department)' },
  SW_ROUTER_WO_INVALID_TRANSITION: { status: 409, text: 'the action is not allowed in the work order’s current status' },
  SW_ROUTER_WO_ROLE_FORBIDDEN: { status: 403, text: 'the user’s role may not perform this action' },
  SW_ROUTER_WO_UNKNOWN_DEPARTMENT: { status: 400, text: 'the department is not configured' },
  SW_ROUTER_WO_ALREADY_MARKED: { status: 409, text: 'the alert was already marked false positive or duplicate' },
  SW_ROUTER_AUTH_REQUIRED: { status: 401, text: 'a bearer token is required' },
  SW_ROUTER_AUTH_INVALID: { status: 401, text: 'the bearer token is not valid' },
  SW_ROUTER_AUTH_TOKEN_UNRESOLVED: { status: 500, text: 'a configured user token could not be read' },
  SW_ROUTER_RATE_LIMITED: { status: 429, text: 'too many requests' },
  SW_ROUTER_INVALID_INPUT: { status: 400, text: 'the request does not match its schema' },
  SW_ROUTER_UPLOAD_TOO_LARGE: { status: 413, text: 'an uploaded file is larger than allowed' },
  SW_ROUTER_UPLOAD_TOO_MANY: { status: 413, text: 'too many files or fields in the upload' },
  SW_ROUTER_UPLOAD_TYPE: { status: 415, text: 'the uploaded file type is not allowed' },
  SW_ROUTER_OUTBOX_SEND: { status: 503, text: 'work-order events could not be produced to Kafka (will retry)' },
  SW_ROUTER_INTERNAL: { status: 500, text: 'internal error' },
} as const;

export type WorkOrderErrorCode = keyof typeof WORKORDER_ERRORS;

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export class WorkOrderError extends StreetwatchError<WorkOrderErrorCode> {
  readonly status: number;
  /** Same as `status`, under the name fastify and its plugins read. */
  readonly statusCode: number;
  readonly fields: readonly FieldProblem[];
  constructor(
    code: WorkOrderErrorCode,
    message: string = WORKORDER_ERRORS[code].text,
    opts: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown>; fields?: FieldProblem[] } = {},
  ) {
    super(code, message, opts);
    this.name = 'WorkOrderError';
    this.status = WORKORDER_ERRORS[code].status;
    this.statusCode = this.status;
    this.fields = opts.fields ?? [];
  }
}
