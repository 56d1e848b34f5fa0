/**
 * The alert router's one error catalogue: every stable code this package raises, with its meaning.
 * Callers (and HTTP clients) branch on `code` and `retryable`, never on message text. The two
 * halves keep their error classes (ChannelError in delivery/, WorkOrderError in workorders/) and
 * take their codes from here. Configuration errors use the platform's SW_CONFIG_* codes.
 */

/** Routing, channels, the delivery queue. */
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
  SW_ROUTER_NOTIFICATION_MISSING: "the delivery's notification row is gone: nothing to send",
  SW_ROUTER_SILENCE_INVALID: 'a silence request is invalid',
  SW_ROUTER_SILENCE_NOT_FOUND: 'no such active silence (or not visible to this department)',
} as const;

/** Delivery-half codes the REST API can answer with (silences), and their HTTP status. */
export const API_STATUS_OF_DELIVERY_ERRORS: Partial<Record<keyof typeof ROUTER_DELIVERY_ERRORS, number>> = {
  SW_ROUTER_SILENCE_INVALID: 400,
  SW_ROUTER_SILENCE_NOT_FOUND: 404,
};

/** Work orders, the REST API and the console; `status` is the HTTP status the API answers with. */
export const WORKORDER_ERRORS = {
  SW_ROUTER_WO_NOT_FOUND: { status: 404, text: 'no such work order (or not visible to this department)' },
  SW_ROUTER_WO_INVALID_TRANSITION: { status: 409, text: 'the action is not allowed in the work order’s current status' },
  SW_ROUTER_WO_ROLE_FORBIDDEN: { status: 403, text: 'the user’s role may not perform this action' },
  SW_ROUTER_WO_UNKNOWN_DEPARTMENT: { status: 400, text: 'the department is not configured' },
  SW_ROUTER_WO_ALREADY_MARKED: { status: 409, text: 'the alert was already marked false positive or duplicate' },
  SW_ROUTER_AUTH_REQUIRED: { status: 401, text: 'a bearer token is required' },
  SW_ROUTER_AUTH_INVALID: { status: 401, text: 'the bearer token is not valid' },
  SW_ROUTER_AUTH_EXPIRED: { status: 401, text: 'the bearer token has expired; ask for a new one' },
  SW_ROUTER_AUTH_TOKEN_UNRESOLVED: { status: 500, text: 'a configured user token could not be read' },
  SW_ROUTER_TOKEN_USER_UNKNOWN: { status: 400, text: 'no such user in workOrders.users' },
  SW_ROUTER_TOKEN_NOT_FOUND: { status: 404, text: 'no such API token' },
  SW_ROUTER_RATE_LIMITED: { status: 429, text: 'too many requests' },
  SW_ROUTER_INVALID_INPUT: { status: 400, text: 'the request does not match its schema' },
  SW_ROUTER_UPLOAD_TOO_LARGE: { status: 413, text: 'an uploaded file is larger than allowed' },
  SW_ROUTER_UPLOAD_TOO_MANY: { status: 413, text: 'too many files or fields in the upload' },
  SW_ROUTER_UPLOAD_TYPE: { status: 415, text: 'the uploaded file type is not allowed' },
  SW_ROUTER_IDEMPOTENCY_KEY_REUSED: { status: 422, text: 'the Idempotency-Key was already used for another request' },
  SW_ROUTER_OUTBOX_SEND: { status: 503, text: 'work-order events could not be produced to Kafka (will retry)' },
  SW_ROUTER_INTERNAL: { status: 500, text: 'internal error' },
  SW_ROUTER_EVIDENCE_NOT_FOUND: { status: 404, text: 'the work order has no such picture in the evidence store' },
  SW_ROUTER_EVIDENCE_LINK_INVALID: { status: 404, text: 'no such evidence link (malformed or forged)' },
  SW_ROUTER_EVIDENCE_LINK_EXPIRED: { status: 410, text: 'the evidence link has expired: ask for a new one' },
  SW_ROUTER_EVIDENCE_PENDING: { status: 404, text: 'the picture has not reached the evidence store yet (the box uploads it when its uplink allows)' },
  SW_ROUTER_EVIDENCE_CORRUPT: { status: 502, text: 'the stored picture does not match the sha256 of its event' },
  SW_ROUTER_EVIDENCE_STORE: { status: 503, text: 'the evidence store could not be reached' },
  SW_ROUTER_EVIDENCE_DISABLED: { status: 503, text: 'evidence links are not configured on this router' },
  SW_ROUTER_LIVE_DISABLED: { status: 503, text: 'the live view is not configured on this router (live section)' },
  SW_ROUTER_LIVE_CAMERA_NOT_FOUND: { status: 404, text: 'no such live camera (or none your department owns a zone on)' },
  SW_ROUTER_LIVE_TICKET_INVALID: { status: 401, text: 'the live ticket is malformed, forged or unknown' },
  SW_ROUTER_LIVE_TICKET_CAMERA: { status: 403, text: 'the live ticket was issued for another camera' },
  SW_ROUTER_LIVE_TICKET_EXPIRED: { status: 410, text: 'the live ticket has expired: ask for a new one' },
  SW_ROUTER_LIVE_TICKET_USED: { status: 410, text: 'the live ticket was used already (one opening per ticket): ask for a new one' },
  SW_ROUTER_LIVE_VIEWERS_LIMIT: { status: 429, text: 'this camera has its maximum of viewers (live.maxViewersPerCamera)' },
  SW_ROUTER_LIVE_BOX_LIMIT: { status: 429, text: "the camera's edge box runs its maximum of live streams (its live.maxStreams)" },
  SW_ROUTER_LIVE_GATEWAY_OFFLINE: { status: 503, text: "the camera's edge box is not connected to this router" },
  SW_ROUTER_LIVE_STREAM_FAILED: { status: 502, text: 'the edge box could not stream the camera (camera unreachable, wrong password, ffmpeg failed)' },
  SW_ROUTER_LIVE_GATEWAY_AUTH: { status: 401, text: 'a live gateway connection without a valid gateway token' },
} as const;
