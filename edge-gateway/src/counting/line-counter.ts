/**
 * Crossings of one count line from the tracker's tracks: one count per track and direction.
 *
 * Each track's ground point (bottom-centre of its box) is placed on a side of the line: `in`
 * (+1), `out` (-1), or the dead band (0) within `hysteresis` of it. A track settles on the first
 * side it is seen on; it crosses when it is next seen settled on the other side, and the move
 * from its last point on the old side to its point on the new one passes through the segment
 * (not beside it). Points in the dead band change nothing, so a person standing or jittering on
 * the line never counts, however long. A track counts once it has been seen twice (a single
 * detection is not a crossing); tentative tracks are followed too, so that a crossing made while
 * the tracker was still confirming counts. Lost tracks (the box is the last seen, not
 * extrapolated) are skipped. Each direction counts at most once per track.
 *
 * A side is a side at 1 fps as at 5 fps, and the segment check uses the two points whatever their
 * distance. What depends on the frame rate is the tracker: at low rates a walking person moves
 * more than their own width between frames, the tracker's IoU match fails, and their track breaks
 * (or, at 1 fps, never gets past tentative). So a new track continues one that was lost or went
 * away moments ago nearby (`RelinkOptions`: within distance + speed x elapsed time, same class):
 * the broken pieces are one person again for counting.
 */
import type { Track } from '../tracker/tracker.js';
import { anchorOf } from '../rules/geometry.js';
import type { Point } from '../rules/geometry.js';
import type { CountLine } from './config.js';
import { countShape, type CountShape, type Side } from './geometry.js';

export type Direction = 'in' | 'out';

export interface Crossing {
  readonly lineId: string;
  readonly trackId: string;
  /** The counted class (the line's class name, e.g. person). */
  readonly objectClass: string;
  readonly direction: Direction;
  readonly eventTime: Date;
}

interface TrackState {
  /** The side the track is settled on (0: only seen in the dead band so far). */
  side: Side;
  /** Its last point on that side (the start of a crossing move). */
  last: Point;
  inCounted: boolean;
  outCounted: boolean;
  objectClass: string;
  /** Observations of this track (and of the tracks it continues). */
  hits: number;
  /** Where and when it was last seen (any side), for handing its state to a track that continues it. */
  pos: Point;
  seen: number;
}

/** How a track broken by the tracker is joined again (see LineCounter). */
export interface RelinkOptions {
  /** A track lost or gone at most this long ago may hand its state on (0: never). */
  readonly seconds: number;
  /**
   * ...to a new track of the same class whose first point is within `distance + speed x (time
   * since it was last seen)` of where it was last seen (normalized units, per second).
   */
  readonly distance: number;
  readonly speed: number;
}

export const DEFAULT_RELINK: RelinkOptions = { seconds: 2, distance: 0.03, speed: 0.1 };

export class LineCounter {
  private readonly shape: CountShape;
  private readonly classOf = new Map<string, string>();
  private readonly tracks = new Map<string, TrackState>();
  /** Tracks the tracker no longer lists, kept `relink.seconds` in case a new track continues them. */
  private gone: Array<TrackState & { id: string }> = [];

  constructor(
    readonly line: CountLine,
    private readonly relink: RelinkOptions = DEFAULT_RELINK,
  ) {
    this.shape = countShape(line);
    for (const [name, detectorClasses] of Object.entries(line.classes)) for (const c of detectorClasses) this.classOf.set(c, name);
  }

  /** The counted class names, in config order. */
  get classes(): string[] {
    return Object.keys(this.line.classes);
  }

  /** The tracks after a tracker update (the whole list: tracks no longer in it are forgotten). */
  step(eventTime: Date, tracks: readonly Track[]): Crossing[] {
    const out: Crossing[] = [];
    const now = eventTime.getTime();
    const present = new Set<string>();
    for (const tr of tracks) present.add(tr.id);
    for (const [id, st] of this.tracks) {
      if (present.has(id)) continue;
      this.tracks.delete(id);
      if (this.relink.seconds > 0) this.gone.push({ ...st, id });
    }
    this.gone = this.gone.filter((g) => now - g.seen <= this.relink.seconds * 1000);
    for (const tr of tracks) {
      if (tr.state === 'lost') continue;
      const objectClass = this.classOf.get(tr.objectClass);
      if (objectClass === undefined) continue;
      const p = anchorOf(tr.bbox);
      const s = this.shape.side(p);
      let st = this.tracks.get(tr.id);
      if (st === undefined) {
        st = this.continued(tr.id, objectClass, p, now, tracks) ?? { side: s, last: p, inCounted: false, outCounted: false, objectClass, hits: 1, pos: p, seen: now };
        this.tracks.set(tr.id, st);
        if (st.pos === p) continue; // a track of its own: it settles where it is first seen
      }
      st.pos = p;
      st.seen = now;
      st.hits++;
      if (s === 0) continue;
      if (st.side === 0 || s === st.side) {
        st.side = s;
        st.last = p;
        continue;
      }
      if (st.hits < 2) continue; // one detection is not a track yet
      const within = this.shape.crossedWithin(st.last, p);
      st.side = s;
      st.last = p;
      if (!within) continue; // passed beside the segment
      const direction: Direction = s === 1 ? 'in' : 'out';
      if (direction === 'in' ? st.inCounted : st.outCounted) continue;
      if (direction === 'in') st.inCounted = true;
      else st.outCounted = true;
      out.push({ lineId: this.line.id, trackId: tr.id, objectClass, direction, eventTime });
    }
    return out;
  }

  /**
   * The state of a track that a new one continues: the tracker lost a person (occluded by another,
   * behind a post, a missed detection or two) and started a new track for them. Candidates: tracks
   * of the same class lost now (listed as lost) or gone within `relink.seconds`, last seen within
   * `relink.distance` of the new track's first point; the nearest one hands its side, its last point
   * and what it has counted to the new track (and is then no candidate any more), so a crossing made
   * while the person was between two tracks counts once.
   */
  private continued(id: string, objectClass: string, p: Point, now: number, tracks: readonly Track[]): TrackState | undefined {
    if (this.relink.seconds <= 0) return undefined;
    let best: { st: TrackState; key: string; gone: boolean; d: number } | undefined;
    const consider = (key: string, st: TrackState, gone: boolean): void => {
      if (st.objectClass !== objectClass || now - st.seen > this.relink.seconds * 1000) return;
      const d = Math.hypot(st.pos[0] - p[0], st.pos[1] - p[1]);
      const reach = this.relink.distance + (this.relink.speed * (now - st.seen)) / 1000;
      if (d <= reach && (best === undefined || d < best.d)) best = { st, key, gone, d };
    };
    for (const tr of tracks) {
      if (tr.state !== 'lost' || tr.id === id) continue;
      const st = this.tracks.get(tr.id);
      if (st !== undefined) consider(tr.id, st, false);
    }
    for (const g of this.gone) consider(g.id, g, true);
    if (best === undefined) return undefined;
    const b = best as { st: TrackState; key: string; gone: boolean };
    if (b.gone) this.gone = this.gone.filter((g) => g.id !== b.key);
    else this.tracks.delete(b.key);
    return { side: b.st.side, last: b.st.last, inCounted: b.st.inCounted, outCounted: b.st.outCounted, objectClass, hits: b.st.hits, pos: b.st.pos, seen: b.st.seen };
  }

  /** Forget every track (the tracker was replaced: its ids start again). */
  reset(): void {
    this.tracks.clear();
    this.gone = [];
  }

  /** Tracks followed now (for tests and /status). */
  get size(): number {
    return this.tracks.size;
  }
}
