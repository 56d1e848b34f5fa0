import { StreetwatchError } from '@streetwatch/platform';

/**
 * Error codes of the work-order half (lifecycle, API, console). Callers and HTTP clients branch on
 * `code`, never on the message. `status` is the HTTP status the API answers with.
 */
import { WORKORDER_ERRORS } from '../errors.js';

export { WORKORDER_ERRORS };

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
