import { StreetwatchError } from '@streetwatch/platform';

import { OUTBOX_ERRORS } from '../errors.js';

export { OUTBOX_ERRORS };

export type OutboxErrorCode = keyof typeof OUTBOX_ERRORS;

export class OutboxError extends StreetwatchError<OutboxErrorCode> {
  constructor(code: OutboxErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, `${OUTBOX_ERRORS[code]}: ${message}`, { cause: opts.cause, retryable: opts.retryable ?? code === 'SW_EDGE_OUTBOX_UNAVAILABLE' });
    this.name = 'OutboxError';
  }
}
