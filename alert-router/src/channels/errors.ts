/**
 * Error codes of the router's delivery half (routing, channels, queue). Callers branch on `code`
 * and `retryable`, never on messages.
 * The codes themselves are in the package catalogue, src/errors.ts.
 */
import { StreetwatchError } from '@streetwatch/platform';

import { ROUTER_DELIVERY_ERRORS } from '../errors.js';

export { ROUTER_DELIVERY_ERRORS };

export type RouterDeliveryErrorCode = keyof typeof ROUTER_DELIVERY_ERRORS;

/** A channel's send failed: `retryable`, and the provider's wait hint when it gave one. */
export class ChannelError extends StreetwatchError<RouterDeliveryErrorCode> {
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    code: RouterDeliveryErrorCode,
    message: string,
    opts: { retryable: boolean; providerCode?: string; retryAfterMs?: number; cause?: unknown; status?: number },
  ) {
    super(code, message, {
      retryable: opts.retryable,
      cause: opts.cause,
      details: { providerCode: opts.providerCode, status: opts.status },
    });
    this.name = 'ChannelError';
    this.providerCode = opts.providerCode;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
