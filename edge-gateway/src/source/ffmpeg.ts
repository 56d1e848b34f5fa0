/**
 * A thin wrapper over Debian's ffmpeg: the command line for an input, the process, and what
 * its exit means. ffmpeg is a black box that reports failures as text on stderr, so this file is
 * the one place that reads that text and turns it into a stable VideoErrorCode; everything
 * downstream branches on the code.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { VideoErrorCode } from '../cameras/errors.js';
import { redactText } from '../cameras/url.js';
import { analyticFilter, type AnalyticSize } from '../sampler/analytic.js';

export type FfmpegInput =
  | { kind: 'rtsp'; url: string; /** socket I/O timeout: ffmpeg gives up on a silent server */ ioTimeoutMs?: number }
  | { kind: 'file'; path: string; loop: boolean; realtime: boolean };

/**
 * What to run: the command line (without the executable) that writes analytic rgb24 frames to
 * stdout, and for a camera the filter script ffmpeg reads on fd 3 (`-filter_complex_script
 * pipe:3`). A camera's URL carries its password, so it is never on the command line (anyone on the
 * box can read a process's argv: `ps`, /proc/<pid>/cmdline): the script opens the stream with the
 * `movie` source filter, which takes the URL and the RTSP demuxer's options, and nothing of it
 * touches the disk.
 */
export interface FfmpegCommand {
  readonly args: string[];
  /** Written to the child's fd 3, then closed; absent for file inputs (no secret in a path). */
  readonly script?: string;
}

/** Escape a value for an av_opt option string (av_get_token: backslash, quote, separators). */
export function escapeOption(value: string): string {
  return value.replace(/[\\':=]/g, (c) => `\\${c}`);
}

/** Quote a filter's argument string for a filtergraph description (the graph parser's level). */
export function quoteFilterArgs(args: string): string {
  return `'${args.replace(/'/g, "'\\''")}'`;
}

export function ffmpegArgs(input: FfmpegInput, analytic: AnalyticSize): FfmpegCommand {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (input.kind === 'rtsp') {
    // Fast start (~0.7 s to the first frame instead of ~3 s): the SDP already describes the stream.
    const formatOpts = [
      'rtsp_transport=tcp',
      'analyzeduration=0',
      'probesize=32',
      'fflags=nobuffer',
      `timeout=${Math.round((input.ioTimeoutMs ?? 10_000) * 1000)}`,
    ].join(':');
    const movie = `filename=${escapeOption(input.url)}:format_opts=${escapeOption(formatOpts)}`;
    const script = `movie=${quoteFilterArgs(movie)},${analyticFilter(analytic)}[frames]`;
    args.push('-filter_complex_script', 'pipe:3', '-map', '[frames]', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
    return { args, script };
  }
  if (input.realtime) args.push('-re');
  if (input.loop) args.push('-stream_loop', '-1');
  args.push('-i', input.path);
  args.push('-an', '-sn', '-dn', '-vf', analyticFilter(analytic), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1');
  return { args };
}

export type FfmpegProcess = ChildProcessByStdio<null, Readable, Readable>;

/**
 * Start ffmpeg with `cmd`: its script (if any) written to fd 3. The child's environment is PATH
 * only: the gateway's own environment may hold camera passwords (`passwordEnv`), and a child's
 * /proc/<pid>/environ would show them again.
 */
export function spawnFfmpeg(cmd: FfmpegCommand, bin = 'ffmpeg'): FfmpegProcess {
  const env = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin' };
  if (cmd.script === undefined) return spawn(bin, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const proc = spawn(bin, cmd.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env });
  const fd3 = proc.stdio[3] as Writable | null;
  if (fd3) {
    fd3.on('error', () => undefined); // ffmpeg gone before reading it: its exit tells why
    fd3.end(cmd.script);
  }
  return proc as unknown as FfmpegProcess;
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
