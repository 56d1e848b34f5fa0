/** The analytics stages' codes live in the package catalogue (src/errors.ts); re-exported here. */
import { ANALYTICS_ERRORS } from '../errors.js';

export { ANALYTICS_ERRORS };

export type AnalyticsErrorCode = keyof typeof ANALYTICS_ERRORS;

export class AnalyticsError extends Error {
  readonly code: AnalyticsErrorCode;
  readonly retryable: boolean;
  constructor(code: AnalyticsErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(`${ANALYTICS_ERRORS[code]}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AnalyticsError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
  }
}
