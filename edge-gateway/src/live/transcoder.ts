/**
 * One camera's live transcode: ffmpeg reads the camera (RTSP, the same way the analytic source
 * does: the URL with its password goes through the filter script on fd 3, never the command
 * line) and writes MPEG-TS with MPEG-1 video (JSMpeg's format) to stdout, bounded in size, frame
 * rate and bit rate, on one thread and at a lower CPU priority than detection. Its CPU (utime +
 * stime of the child, from /proc/<pid>/stat) is added to
 * `streetwatch_edge_live_transcode_cpu_seconds_total{camera}` every second and just before it
 * is stopped.
 */
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Logger } from '@streetwatch/platform';
import type { VideoErrorCode } from '../cameras/errors.js';
import { redactText } from '../cameras/url.js';
import { classifyExit, escapeOption, quoteFilterArgs, spawnFfmpeg, StderrTail, type FfmpegCommand, type FfmpegInput, type FfmpegProcess } from '../source/ffmpeg.js';
import type { LiveConfig } from './config.js';
import type { LiveMetrics } from './metrics.js';
import { TsChunker } from './mpegts.js';

/** Linux reports process CPU in clock ticks of 1/100 s (USER_HZ; the same on every mainstream arch). */
const TICKS_PER_SECOND = 100;

export type LiveSize = Pick<LiveConfig, 'width' | 'fps' | 'bitrateKbps' | 'gopSeconds'>;

/** MPEG-1 knows 24, 25, 30, 50, 60 (and the NTSC rates); other rates need ffmpeg's unofficial codes, which JSMpeg plays (it paces a live stream by arrival, not by rate). */
const MPEG1_RATES = new Set([24, 25, 30, 50, 60]);

/** The command line (and for a camera the fd-3 filter script) of a live transcode. */
export function liveFfmpegArgs(input: FfmpegInput, s: LiveSize): FfmpegCommand {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  const filter = `fps=${s.fps},scale=${s.width}:-2:flags=bilinear`;
  const gop = Math.max(1, Math.round(s.fps * s.gopSeconds));
  const out = [
    '-an', '-sn', '-dn',
    '-c:v', 'mpeg1video',
    '-b:v', `${s.bitrateKbps}k`, '-maxrate', `${s.bitrateKbps}k`, '-bufsize', `${s.bitrateKbps}k`,
    '-bf', '0', '-g', String(gop), '-r', String(s.fps),
    ...(MPEG1_RATES.has(s.fps) ? [] : ['-strict', 'unofficial']),
    '-threads', '1',
    '-f', 'mpegts', '-muxdelay', '0', '-flush_packets', '1', 'pipe:1',
  ];
  if (input.kind === 'rtsp') {
    const formatOpts = ['rtsp_transport=tcp', 'analyzeduration=0', 'probesize=32', 'fflags=nobuffer', `timeout=${Math.round((input.ioTimeoutMs ?? 10_000) * 1000)}`].join(':');
    const movie = `filename=${escapeOption(input.url)}:format_opts=${escapeOption(formatOpts)}`;
    const script = `movie=${quoteFilterArgs(movie)},${filter}[live]`;
    args.push('-filter_complex_script', 'pipe:3', '-map', '[live]', ...out);
    return { args, script };
  }
  args.push('-re', ...(input.loop ? ['-stream_loop', '-1'] : []), '-i', input.path, '-vf', filter, ...out);
  return { args };
}

/** utime + stime of a live process in ticks, or undefined once it is gone. */
export function processCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

export interface TranscoderDeps {
  readonly log: Logger;
  readonly metrics: LiveMetrics;
  readonly ffmpegPath?: string;
}

export interface TranscoderHandlers {
  /** A run of whole TS packets; `key`: it begins a picture group. */
  onChunk(chunk: Buffer, key: boolean): void;
  /** ffmpeg stopped by itself (camera gone, wrong password, no output): why. Not called after stop(). */
  onFailed(code: VideoErrorCode, detail: string): void;
}

export class LiveTranscoder {
  private proc: FfmpegProcess | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private ticks = 0;
  private stopping: Promise<void> | undefined;
  private gotOutput = false;
  private bytes = 0;

  constructor(
    readonly cameraId: string,
    private readonly input: () => FfmpegInput | Promise<FfmpegInput>,
    private readonly cfg: LiveConfig,
    private readonly deps: TranscoderDeps,
    private readonly handlers: TranscoderHandlers,
  ) {}

  /** CPU seconds used so far (sampled). */
  get cpuSeconds(): number {
    return this.ticks / TICKS_PER_SECOND;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get bytesOut(): number {
    return this.bytes;
  }

  async start(): Promise<void> {
    const log = this.deps.log;
    let input: FfmpegInput;
    try {
      input = await this.input();
    } catch (err) {
      this.handlers.onFailed('SW_EDGE_CAMERA_UNREACHABLE', redactText(err instanceof Error ? err.message : String(err)));
      return;
    }
    if (this.stopping) return;
    const cmd = liveFfmpegArgs(input, this.cfg);
    log.debug({ args: cmd.args.map(redactText), ...(cmd.script !== undefined ? { script: redactText(cmd.script) } : {}) }, 'starting live transcode');
    const tail = new StderrTail();
    const proc = spawnFfmpeg(cmd, this.deps.ffmpegPath);
    this.proc = proc;
    let spawnError: NodeJS.ErrnoException | undefined;
    if (proc.pid !== undefined) {
      try {
        setPriority(proc.pid, this.cfg.nice);
      } catch (err) {
        log.warn({ err }, 'could not lower the live transcode’s CPU priority');
      }
    }
    const chunker = new TsChunker((c, key) => {
      this.bytes += c.length;
      this.handlers.onChunk(c, key);
    });
    proc.stdout.on('data', (d: Buffer) => {
      this.gotOutput = true;
      chunker.push(d);
    });
    proc.stderr.on('data', (d: Buffer) => tail.push(d));
    proc.on('error', (err: NodeJS.ErrnoException) => {
      spawnError = err;
    });
    proc.on('close', (code) => {
      this.sample();
      this.clearTimers();
      if (this.proc === proc) this.proc = undefined;
      if (this.stopping) return;
      this.handlers.onFailed(classifyExit(code, tail.toString(), spawnError), tail.toString() || `ffmpeg exited with ${code ?? 'a signal'}`);
    });
    this.sampler = setInterval(() => this.sample(), 1000);
    this.sampler.unref();
    this.watchdog = setTimeout(() => {
      if (this.gotOutput || this.stopping || this.proc !== proc) return;
      log.warn({ timeoutMs: this.cfg.firstChunkTimeoutMs }, 'live transcode produced nothing in time: stopped');
      this.kill(proc).then(
        () => this.handlers.onFailed('SW_EDGE_STREAM_STALLED', `no video within ${this.cfg.firstChunkTimeoutMs} ms`),
        () => undefined,
      );
    }, this.cfg.firstChunkTimeoutMs);
    this.watchdog.unref();
  }

  /** Stop ffmpeg (SIGTERM, SIGKILL after 2 s); resolves when it is gone. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const proc = this.proc;
      if (proc) await this.kill(proc);
      this.clearTimers();
    })();
    return this.stopping;
  }

  private async kill(proc: FfmpegProcess): Promise<void> {
    this.sample();
    if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    const wasStopping = this.stopping;
    if (!wasStopping) this.stopping = Promise.resolve(); // the close handler must not report a failure twice
    await new Promise<void>((resolve) => {
      const hard = setTimeout(() => proc.kill('SIGKILL'), 2000);
      proc.once('close', () => {
        clearTimeout(hard);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  private sample(): void {
    const pid = this.proc?.pid;
    if (pid === undefined) return;
    const t = processCpuTicks(pid);
    if (t === undefined || t <= this.ticks) return;
    this.deps.metrics.cpuSeconds.inc({ camera: this.cameraId }, (t - this.ticks) / TICKS_PER_SECOND);
    this.ticks = t;
  }

  private clearTimers(): void {
    clearInterval(this.sampler);
    clearTimeout(this.watchdog);
  }
}
