/**
 * A thin wrapper over Debian's ffmpeg: the command line for an input, the process, and what
 * its exit means. ffmpeg is a black box that reports failures as text on stderr, so this file is
 * the one place that reads that text and turns it into a stable VideoErrorCode; everything
 * downstream branches on the code.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { VideoErrorCode } from '../cameras/errors.js';
import { redactText } from '../cameras/url.js';
import { analyticFilter, type AnalyticSize } from '../sampler/analytic.js';

export type FfmpegInput =
  | { kind: 'rtsp'; url: string; /** socket I/O timeout: ffmpeg gives up on a silent server */ ioTimeoutMs?: number }
  | { kind: 'file'; path: string; loop: boolean; realtime: boolean };

/** Command line (without the executable) that writes analytic rgb24 frames to stdout. */
export function ffmpegArgs(input: FfmpegInput, analytic: AnalyticSize): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (input.kind === 'rtsp') {
    // Fast start (~0.7 s to the first frame instead of ~3 s): the SDP already describes the stream.
    args.push('-rtsp_transport', 'tcp', '-analyzeduration', '0', '-probesize', '32', '-fflags', 'nobuffer', '-flags', 'low_delay');
    args.push('-timeout', String(Math.round((input.ioTimeoutMs ?? 10_000) * 1000)));
    args.push('-i', input.url);
  } else {
    if (input.realtime) args.push('-re');
    if (input.loop) args.push('-stream_loop', '-1');
    args.push('-i', input.path);
  }
  args.push('-an', '-sn', '-dn', '-vf', analyticFilter(analytic), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
  return args;
}

export type FfmpegProcess = ChildProcessByStdio<null, Readable, Readable>;

export function spawnFfmpeg(args: readonly string[], bin = 'ffmpeg'): FfmpegProcess {
  return spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Keeps the last `limit` characters of stderr for classification and logs. The whole retained
 * text is redacted on every push, before any trimming, so cutting it can only ever cut an
 * already-redacted URL (a URL split across two chunks is redacted once its `@` arrives).
 */
export class StderrTail {
  private text = '';
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer | string): void {
    this.text = redactText(this.text + chunk.toString());
    if (this.text.length > this.limit * 2) this.text = this.text.slice(-this.limit);
  }
  toString(): string {
    return this.text.slice(-this.limit).trim();
  }
}

const RULES: readonly [RegExp, VideoErrorCode][] = [
  [/\b401\b|Unauthorized|authorization failed/i, 'SW_EDGE_CAMERA_AUTH'],
  [/\b404\b|Not Found|No such file or directory/i, 'SW_EDGE_CAMERA_NOT_FOUND'],
  [
    /Connection refused|Connection timed out|timed out|No route to host|Network is unreachable|Name or service not known|Temporary failure in name resolution|Connection reset/i,
    'SW_EDGE_CAMERA_UNREACHABLE',
  ],
];

/**
 * Why did ffmpeg stop? `spawnError` is the child_process 'error' (ENOENT: no ffmpeg).
 * Exit 0 on a live stream is a disconnect: ffmpeg treats a vanished RTSP server as end of stream.
 */
export function classifyExit(code: number | null, stderr: string, spawnError?: NodeJS.ErrnoException): VideoErrorCode {
  if (spawnError !== undefined) return spawnError.code === 'ENOENT' || spawnError.code === 'EACCES' ? 'SW_EDGE_DECODER_MISSING' : 'SW_EDGE_DECODER_FAILED';
  for (const [re, reason] of RULES) if (re.test(stderr)) return reason;
  return code === 0 ? 'SW_EDGE_STREAM_ENDED' : 'SW_EDGE_DECODER_FAILED';
}
