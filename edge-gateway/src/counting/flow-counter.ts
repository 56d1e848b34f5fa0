/**
 * One camera's flow counts: its count lines' crossings summed per minute of event time.
 *
 * The clock is the frames' event time. A minute is closed when the first frame of a later minute
 * arrives (or by `flush()`: shutdown, tamper, camera offline): it yields one FlowMinute per line
 * with every counted class in both directions, zeros included. A minute in which no frame was
 * analysed yields nothing: it was not watched (camera offline or tampered, gateway down), which
 * is not the same as nobody passing. `observedSeconds` says how much of a minute the frames
 * covered (gaps between frames up to MAX_GAP_MS count as watched).
 */
import type { Track } from '../tracker/tracker.js';
import type { CountLine } from './config.js';
import { LineCounter, type Crossing, type Direction } from './line-counter.js';

/** Frames further apart than this leave the time between them unwatched. */
export const MAX_GAP_MS = 5000;
const MINUTE_MS = 60_000;

export interface FlowMinute {
  readonly lineId: string;
  /** Start of the minute (ms since epoch, whole minute). */
  readonly minute: number;
  /** Event time of the first frame counted into this minute (makes the message id unique per run segment). */
  readonly firstFrame: number;
  readonly observedSeconds: number;
  readonly counts: ReadonlyArray<{ objectClass: string; direction: Direction; count: number }>;
}

export interface FlowStep {
  readonly crossings: Crossing[];
  /** Minutes closed by this frame (in time order). */
  readonly closed: FlowMinute[];
}

export class FlowCounter {
  private readonly counters: LineCounter[];
  private minute: number | undefined;
  private firstFrame = 0;
  private observedMs = 0;
  private prev: number | undefined;
  private readonly counts = new Map<string, Map<string, number>>();

  constructor(lines: readonly CountLine[]) {
    this.counters = lines.map((l) => new LineCounter(l));
  }

  get lineCount(): number {
    return this.counters.length;
  }

  /**
   * One analysed frame at `eventTime`; `tracks`: the tracker's tracks when it was updated on this
   * frame (undefined when the detector did not run: the clock moves, nobody moves).
   */
  step(eventTime: Date, tracks: readonly Track[] | undefined): FlowStep {
    const closed = this.advance(eventTime.getTime());
    const crossings: Crossing[] = [];
    if (tracks !== undefined) {
      for (const c of this.counters) {
        for (const x of c.step(eventTime, tracks)) {
          crossings.push(x);
          const m = this.counts.get(x.lineId);
          const k = `${x.objectClass}|${x.direction}`;
          if (m) m.set(k, (m.get(k) ?? 0) + 1);
        }
      }
    }
    return { crossings, closed };
  }

  /** Close the minute in progress (shutdown, tamper, offline); the next frame starts afresh. */
  flush(): FlowMinute[] {
    if (this.minute === undefined) return [];
    const out = this.close();
    this.minute = undefined;
    this.prev = undefined;
    return out;
  }

  /** The tracker was replaced (its track ids start again): forget every track. */
  resetTracks(): void {
    for (const c of this.counters) c.reset();
  }

  private advance(t: number): FlowMinute[] {
    const m = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    const prev = this.prev;
    const near = prev !== undefined && t - prev <= MAX_GAP_MS && t >= prev;
    this.prev = t;
    if (this.minute === m) {
      if (near) this.observedMs += t - (prev as number);
      return [];
    }
    let closed: FlowMinute[] = [];
    if (this.minute !== undefined) {
      // the frames watched the old minute up to its end when this one follows closely
      if (near && m > this.minute) this.observedMs += this.minute + MINUTE_MS - (prev as number);
      closed = this.close();
    }
    this.minute = m;
    this.firstFrame = t;
    this.observedMs = near && m === Math.floor((prev as number) / MINUTE_MS) * MINUTE_MS + MINUTE_MS ? t - m : 0;
    for (const c of this.counters) this.counts.set(c.line.id, new Map());
    return closed;
  }

  private close(): FlowMinute[] {
    const minute = this.minute as number;
    const observedSeconds = Math.min(60, Math.round(this.observedMs) / 1000);
    return this.counters.map((c) => {
      const m = this.counts.get(c.line.id);
      const counts = c.classes.flatMap((objectClass) =>
        (['in', 'out'] as const).map((direction) => ({ objectClass, direction, count: m?.get(`${objectClass}|${direction}`) ?? 0 })),
      );
      return { lineId: c.line.id, minute, firstFrame: this.firstFrame, observedSeconds, counts };
    });
  }
}
