/**
 * The live streams of one box: at most one transcode per camera, however many people watch
 * (the router tells the box how many: `watch` messages), started when the first viewer arrives,
 * stopped `idleStopMs` after the last one left (a viewer back within that time gets the running
 * stream at once), and at most `maxStreams` at a time (a further camera is refused with
 * SW_EDGE_LIVE_LIMIT, which the router passes on to its viewers).
 */
import type { Logger } from '@streetwatch/platform';
import type { LiveStreamState } from '@streetwatch/schemas';
import type { EdgeErrorCode } from '../errors.js';
import type { FfmpegInput } from '../source/ffmpeg.js';
import type { LiveConfig } from './config.js';
import type { LiveMetrics } from './metrics.js';
import { LiveTranscoder } from './transcoder.js';

export type LiveInput = () => FfmpegInput | Promise<FfmpegInput>;

export interface LiveStreamEvents {
  onChunk(cameraId: string, chunk: Buffer, key: boolean): void;
  onState(cameraId: string, state: LiveStreamState, code?: EdgeErrorCode, message?: string): void;
}

export interface LiveStreamsDeps {
  readonly log: Logger;
  readonly metrics: LiveMetrics;
  readonly ffmpegPath?: string;
}

interface Stream {
  readonly tx: LiveTranscoder;
  viewers: number;
  idle: NodeJS.Timeout | undefined;
  streaming: boolean;
}

export class LiveStreams {
  private readonly streams = new Map<string, Stream>();
  private closed = false;

  constructor(
    private readonly cfg: LiveConfig,
    private readonly cameras: ReadonlyMap<string, LiveInput>,
    private readonly deps: LiveStreamsDeps,
    private readonly events: LiveStreamEvents,
  ) {}

  get cameraIds(): string[] {
    return [...this.cameras.keys()];
  }

  /** Transcodes running now. */
  get active(): number {
    return this.streams.size;
  }

  /** The transcode of a camera, while it runs (tests, status). */
  stream(cameraId: string): { pid: number | undefined; viewers: number; cpuSeconds: number; bytes: number } | undefined {
    const s = this.streams.get(cameraId);
    return s && { pid: s.tx.pid, viewers: s.viewers, cpuSeconds: s.tx.cpuSeconds, bytes: s.tx.bytesOut };
  }

  /** `viewers` people watch `cameraId` now (0: nobody). */
  watch(cameraId: string, viewers: number): void {
    if (this.closed) return;
    const s = this.streams.get(cameraId);
    if (s) {
      s.viewers = viewers;
      if (viewers > 0) {
        clearTimeout(s.idle);
        s.idle = undefined;
      } else if (s.idle === undefined) {
        s.idle = setTimeout(() => void this.stop(cameraId, 'idle'), this.cfg.idleStopMs);
        s.idle.unref();
      }
      return;
    }
    if (viewers === 0) return;
    const input = this.cameras.get(cameraId);
    if (!input) {
      this.events.onState(cameraId, 'failed', 'SW_EDGE_LIVE_UNKNOWN_CAMERA', `no camera ${cameraId} on this box`);
      return;
    }
    if (this.streams.size >= this.cfg.maxStreams) {
      this.deps.metrics.starts.inc({ camera: cameraId, result: 'refused' });
      this.deps.log.warn({ cameraId, maxStreams: this.cfg.maxStreams }, 'live stream refused: the box runs its maximum of live streams');
      this.events.onState(cameraId, 'refused', 'SW_EDGE_LIVE_LIMIT', `this box runs at most ${this.cfg.maxStreams} live streams at once`);
      return;
    }
    const log = this.deps.log.child({ cameraId, component: 'live' });
    const stream: Stream = {
      viewers,
      idle: undefined,
      streaming: false,
      tx: new LiveTranscoder(cameraId, input, this.cfg, { log, metrics: this.deps.metrics, ...(this.deps.ffmpegPath !== undefined && { ffmpegPath: this.deps.ffmpegPath }) }, {
        onChunk: (chunk, key) => {
          if (!stream.streaming) {
            stream.streaming = true;
            log.info('live stream started');
            this.events.onState(cameraId, 'streaming');
          }
          this.events.onChunk(cameraId, chunk, key);
        },
        onFailed: (code, detail) => {
          if (this.streams.get(cameraId) !== stream) return;
          this.forget(cameraId, stream);
          this.deps.metrics.starts.inc({ camera: cameraId, result: 'failed' });
          log.warn({ code, detail }, 'live stream failed');
          this.events.onState(cameraId, 'failed', code, detail.slice(-400));
        },
      }),
    };
    this.streams.set(cameraId, stream);
    this.deps.metrics.active.set(this.streams.size);
    this.deps.metrics.starts.inc({ camera: cameraId, result: 'started' });
    this.events.onState(cameraId, 'starting');
    void stream.tx.start();
  }

  /** The router link dropped: nobody can be watching through it; streams stop after the idle time. */
  unwatchAll(): void {
    for (const id of [...this.streams.keys()]) this.watch(id, 0);
  }

  async stop(cameraId: string, why: 'idle' | 'close'): Promise<void> {
    const s = this.streams.get(cameraId);
    if (!s) return;
    this.forget(cameraId, s);
    await s.tx.stop();
    this.deps.log.info({ cameraId, why, cpuSeconds: s.tx.cpuSeconds, bytes: s.tx.bytesOut }, 'live stream stopped');
    if (!this.closed) this.events.onState(cameraId, 'stopped');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.streams.keys()].map((id) => this.stop(id, 'close')));
  }

  private forget(cameraId: string, s: Stream): void {
    clearTimeout(s.idle);
    this.streams.delete(cameraId);
    this.deps.metrics.active.set(this.streams.size);
  }
}
