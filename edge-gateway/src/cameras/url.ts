/**
 * RTSP URL helpers: Hikvision paths, credential injection, and redaction for logs.
 * A URL with credentials must never reach a log line, an error message or a health event:
 * pass it through redactUrl / redactText first.
 */

const REDACTED = '***';

/** Hikvision channel path: channel 1 main = /Streaming/Channels/101, sub = /102, third = /103. */
export type HikvisionStream = 'main' | 'sub' | 'third';

export interface HikvisionUrlOptions {
  host: string;
  /** RTSP port; Hikvision default 554. */
  port?: number;
  /** Camera channel (1 for a single-lens IP camera; NVR inputs 1..N). */
  channel?: number;
  stream?: HikvisionStream;
  username?: string;
  password?: string;
}

const STREAM_DIGIT: Record<HikvisionStream, number> = { main: 1, sub: 2, third: 3 };

export function hikvisionRtspUrl(opts: HikvisionUrlOptions): string {
  const channel = opts.channel ?? 1;
  if (!Number.isInteger(channel) || channel < 1 || channel > 999) {
    throw new RangeError(`channel must be an integer 1..999, got ${channel}`);
  }
  const path = `/Streaming/Channels/${channel * 100 + STREAM_DIGIT[opts.stream ?? 'sub']}`;
  const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  const url = `rtsp://${host}:${opts.port ?? 554}${path}`;
  return opts.username === undefined ? url : withCredentials(url, opts.username, opts.password ?? '');
}

/** Put username/password into a URL (percent-encoded), replacing any that are there. */
export function withCredentials(url: string, username: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(username);
  u.password = encodeURIComponent(password);
  return u.toString();
}

/** Remove credentials from a URL: `rtsp://user:pw@h/p` -> `rtsp://***:***@h/p`. Never throws. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username === '' && u.password === '') return url;
    u.username = REDACTED;
    if (u.password !== '') u.password = REDACTED;
    return u.toString();
  } catch {
    return redactText(url);
  }
}

/**
 * `scheme://userinfo@` anywhere in free text (ffmpeg stderr, error messages). Greedy up to the
 * last `@` before the path, so an unencoded `@` inside a password does not leak its tail. Also
 * the escaped form ffmpeg echoes from a filter's arguments (`rtsp\://user\:pw@host`).
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*\\?:\/\/)[^\s/]*@/gi;

/** Redact every `scheme://user:password@` occurrence in free text. */
export function redactText(text: string): string {
  return text.replace(USERINFO, `$1${REDACTED}:${REDACTED}@`);
}
