import { StreetwatchError } from '@streetwatch/platform';

/**
 * Error codes of the outbox and publisher. Shaped like the other stage catalogues (code + cause +
 * retryable) so the lead can fold them into the package catalogue (src/errors.ts) unchanged.
 * Kafka being down is never an error of `append`: it only makes the outbox grow.
 */
export const OUTBOX_ERRORS = {
  SW_EDGE_OUTBOX_UNAVAILABLE: 'the outbox database cannot be opened or written (disk full, permissions, corrupt file)',
  SW_EDGE_OUTBOX_RECORD_INVALID: 'an outbox record is malformed (unknown topic, empty key or eventId)',
  SW_EDGE_OUTBOX_CLOSED: 'the outbox was used after close()',
} as const;

export type OutboxErrorCode = keyof typeof OUTBOX_ERRORS;

export class OutboxError extends StreetwatchError<OutboxErrorCode> {
  constructor(code: OutboxErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, `${OUTBOX_ERRORS[code]}: ${message}`, { cause: opts.cause, retryable: opts.retryable ?? code === 'SW_EDGE_OUTBOX_UNAVAILABLE' });
    this.name = 'OutboxError';
  }
}
