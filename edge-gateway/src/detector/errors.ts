/**
 * Error codes of the analytics stages (motion, detector, tracker, rules).
 * Shaped like the platform's StreetwatchError (code + cause + retryable) so the
 * lead can fold these codes into the package catalogue (src/errors.ts) unchanged.
 */
export const ANALYTICS_ERRORS = {
  SW_EDGE_MODEL_MISSING: 'detector model files are missing (run scripts/fetch-model.sh)',
  SW_EDGE_MODEL_INVALID: 'detector model files cannot be parsed or do not match the expected graph',
  SW_EDGE_DETECTOR_BACKEND: 'no TF.js backend could be initialised',
  SW_EDGE_DETECTOR_NOT_LOADED: 'detect() called before load() or after close()',
  SW_EDGE_FRAME_INVALID: 'frame buffer size does not match width * height * 3',
} as const;

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
