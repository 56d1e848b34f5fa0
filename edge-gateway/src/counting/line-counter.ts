/**
 * Crossings of one count line from the tracker's tracks: one count per track and direction.
 *
 * Each track's ground point (bottom-centre of its box) is placed on a side of the line: `in`
 * (+1), `out` (-1), or the dead band (0) within `hysteresis` of it. A track settles on the first
 * side it is seen on; it crosses when it is next seen settled on the other side, and the move
 * from its last point on the old side to its point on the new one passes through the segment
 * (not beside it). Points in the dead band change nothing, so a person standing or jittering on
 * the line never counts, however long. Only confirmed (`tracked`) tracks count; a crossing made
 * while a track was still tentative counts once it is confirmed. Lost tracks (the box is the last
 * seen, not extrapolated) are skipped. Each direction counts at most once per track.
 *
 * Nothing here depends on the frame rate: a side is a side at 1 fps as at 5 fps, and the segment
 * check uses the two points whatever their distance. What depends on it is the tracker: a track
 * broken in two on each side of the line is not a crossing (see the README's counting section).
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
}

export class LineCounter {
  private readonly shape: CountShape;
  private readonly classOf = new Map<string, string>();
  private readonly tracks = new Map<string, TrackState>();

  constructor(readonly line: CountLine) {
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
    const present = new Set<string>();
    for (const tr of tracks) {
      present.add(tr.id);
      if (tr.state === 'lost') continue;
      const objectClass = this.classOf.get(tr.objectClass);
      if (objectClass === undefined) continue;
      const p = anchorOf(tr.bbox);
      const s = this.shape.side(p);
      const st = this.tracks.get(tr.id);
      if (st === undefined) {
        this.tracks.set(tr.id, { side: s, last: p, inCounted: false, outCounted: false });
        continue;
      }
      if (s === 0) continue;
      if (st.side === 0 || s === st.side) {
        st.side = s;
        st.last = p;
        continue;
      }
      if (tr.state !== 'tracked') continue; // tentative: the crossing counts once it is confirmed
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
    for (const id of this.tracks.keys()) if (!present.has(id)) this.tracks.delete(id);
    return out;
  }

  /** Forget every track (the tracker was replaced: its ids start again). */
  reset(): void {
    this.tracks.clear();
  }

  /** Tracks followed now (for tests and /status). */
  get size(): number {
    return this.tracks.size;
  }
}
