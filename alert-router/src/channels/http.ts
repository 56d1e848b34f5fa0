/**
 * Small HTTP helpers shared by the HTTP channels: bounded time, error classification, Retry-After.
 * Requests go through one keep-alive undici Agent: `fetch` costs ~4x the CPU per call (WHATWG
 * streams, Headers, AbortSignal per request), which at router rates was most of a core.
 */
import { Agent, request as send } from 'undici';
import { ChannelError } from './errors.js';

/** One pool of keep-alive connections per provider origin, shared by every HTTP channel. */
const agent = new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });

export interface HttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly text: string;
  json<T>(): T | undefined;
}

const unavailable = (cause: unknown): ChannelError =>
  // Network failure or timeout: the request may or may not have reached the provider.
  new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `request failed: ${(cause as { code?: string }).code ?? (cause as Error).name}`, {
    retryable: true,
    cause,
  });

/** One request, bounded as a whole (connect + headers + body) by `timeoutMs`. */
export async function request(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; timeoutMs: number },
): Promise<HttpResponse> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), init.timeoutMs);
  try {
    let status: number;
    let raw: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const res = await send(url, {
        method: init.method,
        ...(init.headers ? { headers: init.headers } : {}),
        ...(init.body !== undefined ? { body: init.body } : {}),
        signal: abort.signal,
        dispatcher: agent,
      });
      status = res.statusCode;
      raw = res.headers;
      text = await res.body.text();
    } catch (cause) {
      throw unavailable(cause);
    }
    return {
      status,
      headers: {
        get(name: string): string | null {
          const v = raw[name.toLowerCase()];
          return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
        },
      },
      text,
      json<T>() {
        try {
          return JSON.parse(text) as T;
        } catch {
          return undefined;
        }
      },
    };
  } finally {
    clearTimeout(timer);
  }
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
