/**
 * RTSP URL helpers: Hikvision paths, credential injection, and redaction for logs.
 * A URL with credentials must never reach a log line, an error message or a health event:
 * pass it through redactUrl / redactText (from @streetwatch/platform, re-exported here) first.
 */
export { redactText, redactUrl } from '@streetwatch/platform';

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
