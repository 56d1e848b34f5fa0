/**
 * Cuts a raw video byte stream (ffmpeg `-f rawvideo`) into fixed-size frames held in a ring of
 * buffers allocated once. Chunks are copied straight into the slot being filled: no
 * Buffer.concat, no per-frame allocation (shared/NOTES.md: ~3 ms/frame vs ~8 ms with concat).
 *
 * Delivery: the sink gets one frame at a time. While it works on one (its promise is pending):
 *  - 'latest' (live cameras): the newest completed frame waits; an older waiting frame is
 *    dropped (counted). The analytics always see the freshest picture, never a growing queue.
 *  - 'backpressure' (file replay): the reader stops at the frame boundary and pauses the
 *    stream until the sink is done. Nothing is dropped; the file is read as fast as it is used.
 *
 * A frame's buffer is only valid until the sink returns (or its promise settles): the slot is
 * then reused. Slots are SharedArrayBuffer-backed, so a detector thread reads them in place. Copy `data` to keep it (e.g. for an evidence JPEG rendered later).
 */
import type { Readable } from 'node:stream';

export type DeliveryMode = 'latest' | 'backpressure';

export interface FrameReaderOptions {
  width: number;
  height: number;
  /** Bytes per pixel: 3 for rgb24. */
  channels?: number;
  /** Preallocated slots, >= 3 (one delivered, one waiting, one being written). */
  ringSize?: number;
  mode: DeliveryMode;
}

/** `index` counts frames completed since the last reset(); `arrivedAtMs` is when the last byte came. */
export type FrameSink = (data: Buffer, index: number, arrivedAtMs: number) => void | Promise<void>;

const NONE = -1;

export class RawFrameReader {
  readonly frameBytes: number;
  readonly mode: DeliveryMode;
  private readonly ring: Buffer[];
  private readonly slotIndex: Float64Array;
  private readonly slotArrived: Float64Array;
  private readonly sink: FrameSink;
  private readonly now: () => number;
  private onError: (err: unknown) => void;

  private writeSlot = 0;
  private offset = 0;
  private completed = 0;
  private busySlot = NONE;
  private pendingSlot = NONE;
  private held: Buffer | undefined; // unread rest of a chunk while paused (backpressure)
  private stream: Readable | undefined;
  private readonly onData = (chunk: Buffer) => this.push(chunk);
  private readonly idleWaiters: (() => void)[] = [];
  /** Frames replaced while waiting ('latest' mode). */
  dropped = 0;

  constructor(opts: FrameReaderOptions, sink: FrameSink, deps: { now?: () => number; onError?: (err: unknown) => void } = {}) {
    const channels = opts.channels ?? 3;
    const ringSize = opts.ringSize ?? 4;
    if (!Number.isInteger(opts.width) || !Number.isInteger(opts.height) || opts.width <= 0 || opts.height <= 0) {
      throw new RangeError(`frame size must be positive integers, got ${opts.width}x${opts.height}`);
    }
    if (!Number.isInteger(ringSize) || ringSize < 3) throw new RangeError(`ringSize must be an integer >= 3, got ${ringSize}`);
    this.frameBytes = opts.width * opts.height * channels;
    this.mode = opts.mode;
    // Each slot owns its memory (never a view into Node's pool), in a SharedArrayBuffer: the
    // detector's worker threads read a delivered frame in place (no copy, no transfer).
    this.ring = Array.from({ length: ringSize }, () => Buffer.from(new SharedArrayBuffer(this.frameBytes)));
    this.slotIndex = new Float64Array(ringSize);
    this.slotArrived = new Float64Array(ringSize);
    this.sink = sink;
    this.now = deps.now ?? Date.now;
    this.onError = deps.onError ?? (() => {});
  }

  /** The preallocated slots (tests check that delivered frames are always one of these). */
  get slots(): readonly Buffer[] {
    return this.ring;
  }

  /** True while the sink holds a frame and another waits (backpressure: the stream is paused). */
  get waiting(): boolean {
    return this.pendingSlot !== NONE;
  }

  /** Resolves once every completed frame has been delivered and settled. */
  whenIdle(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private idle(): boolean {
    return this.busySlot === NONE && this.pendingSlot === NONE && this.held === undefined;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.idle()) return;
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }

  /** Frames completed since the last reset(). */
  get frameCount(): number {
    return this.completed;
  }

  /** Read from a stream (detaching any previous one). */
  attach(stream: Readable): void {
    this.detach();
    this.stream = stream;
    stream.on('data', this.onData);
  }

  detach(): void {
    if (this.stream !== undefined) this.stream.off('data', this.onData);
    this.stream = undefined;
  }

  /** Forget a partial frame and the frame counter (new ffmpeg process). A waiting frame stays. */
  reset(): void {
    this.detach();
    this.offset = 0;
    this.completed = 0;
    this.held = undefined;
    if (this.writeSlot === this.pendingSlot || this.writeSlot === this.busySlot) this.writeSlot = this.freeSlot();
    this.notifyIdle();
  }

  /** Feed bytes. Exposed for tests and for non-stream inputs. */
  push(chunk: Buffer): void {
    if (this.mode === 'backpressure' && this.pendingSlot !== NONE) {
      // data while paused (a chunk already in flight, or a new stream after reset): keep it
      this.held = this.held === undefined ? chunk : Buffer.concat([this.held, chunk]);
      this.stream?.pause();
      return;
    }
    let pos = 0;
    while (pos < chunk.length) {
      const slot = this.ring[this.writeSlot] as Buffer;
      const n = Math.min(this.frameBytes - this.offset, chunk.length - pos);
      chunk.copy(slot, this.offset, pos, pos + n);
      this.offset += n;
      pos += n;
      if (this.offset === this.frameBytes) {
        this.offset = 0;
        const done = this.writeSlot;
        this.slotIndex[done] = this.completed++;
        this.slotArrived[done] = this.now();
        this.complete(done);
        if (this.mode === 'backpressure' && this.pendingSlot !== NONE) {
          if (pos < chunk.length) this.held = chunk.subarray(pos);
          this.stream?.pause();
          return;
        }
        this.writeSlot = this.freeSlot();
      }
    }
  }

  private complete(slot: number): void {
    if (this.busySlot === NONE) {
      this.deliver(slot);
      return;
    }
    if (this.pendingSlot !== NONE) this.dropped++;
    this.pendingSlot = slot;
  }

  private deliver(slot: number): void {
    this.busySlot = slot;
    let result: void | Promise<void>;
    try {
      result = this.sink(this.ring[slot] as Buffer, this.slotIndex[slot] as number, this.slotArrived[slot] as number);
    } catch (err) {
      this.onError(err);
      result = undefined;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => this.settled(),
        (err: unknown) => {
          this.onError(err);
          this.settled();
        },
      );
    } else {
      this.busySlot = NONE;
      this.notifyIdle();
    }
  }

  private settled(): void {
    this.busySlot = NONE;
    const next = this.pendingSlot;
    if (next === NONE) {
      this.notifyIdle();
      return;
    }
    this.pendingSlot = NONE;
    this.deliver(next);
    if (this.mode !== 'backpressure') return; // 'latest': the slot being written was never touched
    // backpressure: we stopped right after filling `next`; carry on with the held rest of the chunk
    this.writeSlot = this.freeSlot();
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.push(held);
    if (this.pendingSlot === NONE) this.stream?.resume();
    this.notifyIdle();
  }

  private freeSlot(): number {
    const size = this.ring.length;
    for (let i = 1; i <= size; i++) {
      const s = (this.writeSlot + i) % size;
      if (s !== this.busySlot && s !== this.pendingSlot) return s;
    }
    /* c8 ignore next */
    throw new Error('no free frame slot'); // unreachable with ringSize >= 3
  }
}
