/** Small HTTP helpers shared by the HTTP channels: bounded time, error classification, Retry-After. */
import { ChannelError } from '../delivery/errors.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T>(): T | undefined;
}

export async function request(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<HttpResponse> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (cause) {
    // Network failure or timeout: the request may or may not have reached the provider.
    throw new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `request failed: ${(cause as Error).name}`, {
      retryable: true,
      cause,
    });
  }
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json<T>() {
      try {
        return JSON.parse(text) as T;
      } catch {
        return undefined;
      }
    },
  };
}

/** `Retry-After: 7` or an HTTP date → milliseconds from now (bounded to a day). */
export function retryAfterMs(h: string | null, now = Date.now()): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(h) - now;
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, ms), 86_400_000);
}

/** Classify a non-2xx HTTP status that the provider-specific parser did not explain. */
export function statusError(res: HttpResponse, what: string): ChannelError {
  const after = retryAfterMs(res.headers.get('retry-after'));
  if (res.status === 429) {
    return new ChannelError('SW_ROUTER_PROVIDER_THROTTLED', `${what}: HTTP 429`, {
      retryable: true,
      status: 429,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (res.status >= 500 || res.status === 408) {
    return new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `${what}: HTTP ${res.status}`, {
      retryable: true,
      status: res.status,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    });
  }
  if (res.status === 401 || res.status === 403) {
    return new ChannelError('SW_ROUTER_PROVIDER_AUTH', `${what}: HTTP ${res.status}`, { retryable: false, status: res.status });
  }
  return new ChannelError('SW_ROUTER_PROVIDER_REJECTED', `${what}: HTTP ${res.status}`, { retryable: false, status: res.status });
}
