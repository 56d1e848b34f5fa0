/**
 * Error codes of the router's delivery half (routing, channels, queue). Callers branch on `code`
 * and `retryable`, never on messages.
 * NOTE for the lead: STYLE.md wants one catalogue per package in src/errors.ts; the two halves were
 * built in parallel, so this file holds the delivery half's codes until they are merged.
 */
import { StreetwatchError } from '@streetwatch/platform';

export const ROUTER_DELIVERY_ERRORS = {
  SW_ROUTER_SECRET_MISSING: 'a secret named in config (env or file) is not available',
  SW_ROUTER_CONFIG_REFERENCE: 'config names a channel or department that does not exist',
  SW_ROUTER_PROVIDER_THROTTLED: 'the provider refused the request for rate or quota reasons (retry later)',
  SW_ROUTER_PROVIDER_AUTH: 'the provider rejected our credentials or signature',
  SW_ROUTER_PROVIDER_REJECTED: 'the provider rejected the request as invalid (retrying will not help)',
  SW_ROUTER_PROVIDER_UNAVAILABLE: 'the provider could not be reached, timed out or failed (5xx)',
  SW_ROUTER_QUOTA_EXCEEDED: 'our own per-number or per-template SMS quota is used up for now',
  SW_ROUTER_CIRCUIT_OPEN: "the channel's circuit breaker is open",
  SW_ROUTER_NO_RECIPIENT: 'the notification has nobody to send to on this channel',
  SW_ROUTER_CHANNEL_UNAVAILABLE: 'the channel cannot work in this process (missing dependency)',
  SW_ROUTER_FALLBACK: 'the delivery moved to the fallback channel',
  SW_ROUTER_UNCERTAIN: 'the router stopped while the provider call was in flight',
  SW_ROUTER_MAX_ATTEMPTS: 'the delivery failed on every allowed attempt',
  SW_ROUTER_SILENCE_INVALID: 'a silence request is invalid',
  SW_ROUTER_SILENCE_NOT_FOUND: 'no such silence',
} as const;

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
