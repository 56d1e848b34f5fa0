import type { Detection } from '../detector/types.js';
import { iou, type BBox } from '../frame.js';
import { assign } from './assignment.js';
import type { TrackerConfig } from './config.js';
import { BoxKalman } from './kalman.js';

export type TrackState = 'tentative' | 'tracked' | 'lost';

/** A snapshot of one track (a new object per update; safe to keep). */
export interface Track {
  /** Stable for the track's life: `t1`, `t2`, ... per tracker instance (deterministic for a replay). */
  readonly id: string;
  /** Majority vote over the track's detections. */
  readonly objectClass: string;
  /** Score of the last matched detection. */
  readonly score: number;
  /** Filtered box, normalized; for a lost track the last estimate (not extrapolated). */
  readonly bbox: BBox;
  readonly state: TrackState;
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  readonly hits: number;
  readonly stationary: boolean;
  /** Since when the centre has stayed within the displacement threshold. */
  readonly stationarySince: Date | undefined;
  /** Centre velocity, normalized units per second. */
  readonly velocity: { readonly x: number; readonly y: number };
}

interface Sample {
  t: number;
  cx: number;
  cy: number;
}

class TrackRecord {
  readonly kf: BoxKalman;
  hits = 1;
  lastSeen: number;
  lastPredicted: number;
  score: number;
  state: TrackState = 'tentative';
  readonly votes = new Map<string, number>();
  lastClass: string;
  history: Sample[] = [];
  stationarySince: number | undefined;
  anchor: { cx: number; cy: number } | undefined;
  /** A stationary track seen off its spot: since when (it is moving once that lasts stationaryBreakSeconds). */
  offSpotSince: number | undefined;
  lastBox: BBox;

  constructor(
    readonly id: string,
    det: Detection,
    readonly firstSeen: number,
    config: TrackerConfig,
  ) {
    this.kf = new BoxKalman(det.bbox, {
      measurement: config.measurementNoise,
      acceleration: config.accelerationNoise,
      initialVelocity: 1,
    });
    this.lastBox = det.bbox;
    this.lastSeen = firstSeen;
    this.lastPredicted = firstSeen;
    this.score = det.score;
    this.lastClass = det.objectClass;
    this.votes.set(det.objectClass, 1);
    this.history.push({ t: firstSeen, ...centre(det.bbox) });
  }

  get objectClass(): string {
    let best = this.lastClass;
    let n = this.votes.get(best) ?? 0;
    for (const [c, v] of this.votes) {
      if (v > n) {
        best = c;
        n = v;
      }
    }
    return best;
  }
}

function centre(b: BBox): { cx: number; cy: number } {
  return { cx: b.x + b.w / 2, cy: b.y + b.h / 2 };
}

/**
 * SORT-style multi-object tracker for one camera, with a ByteTrack second pass:
 * 1. predict every track to the frame time (constant-velocity Kalman; a
 *    stationary track is predicted without drift);
 * 2. match detections with score >= highScore to all tracks (tracked, lost,
 *    tentative) by IoU, Hungarian assignment, classes must agree (or share a group);
 * 3. match detections with lowScore <= score < highScore to the still-unmatched
 *    tracked tracks (not lost ones) at a stricter IoU;
 * 4. unmatched tentative tracks die; unmatched confirmed tracks become lost and are
 *    forgotten after lostMemorySeconds; unmatched high detections start tentative tracks.
 * Call `update` only for frames the detector ran on; time is the frame's eventTime.
 */
export class Tracker {
  private records: TrackRecord[] = [];
  private nextId = 1;
  private readonly groupOf = new Map<string, number>();
  private snapshot: Track[] = [];

  constructor(private readonly config: TrackerConfig) {
    config.classGroups.forEach((g, i) => g.forEach((c) => this.groupOf.set(c, i)));
  }

  /** Tracks after the last update (tentative ones included; filter on `state`). */
  get tracks(): readonly Track[] {
    return this.snapshot;
  }

  update(eventTime: Date, detections: readonly Detection[]): readonly Track[] {
    const now = eventTime.getTime();
    const cfg = this.config;
    for (const r of this.records) {
      r.kf.predict((now - r.lastPredicted) / 1000, r.stationarySince !== undefined);
      r.lastPredicted = Math.max(r.lastPredicted, now);
    }
    const high = detections.filter((d) => d.score >= cfg.highScore);
    const low = detections.filter((d) => d.score >= cfg.lowScore && d.score < cfg.highScore);

    const matched = new Set<TrackRecord>();
    const first = this.match(this.records, high, cfg.matchIou);
    for (const [r, d] of first.pairs) this.apply(r, d, now, matched);

    const secondTracks = first.unmatchedTracks.filter((r) => r.state === 'tracked');
    const second = this.match(secondTracks, low, cfg.secondMatchIou);
    for (const [r, d] of second.pairs) this.apply(r, d, now, matched);

    const survivors: TrackRecord[] = [];
    for (const r of this.records) {
      if (matched.has(r)) {
        survivors.push(r);
      } else if (r.state === 'tentative') {
        continue; // never confirmed: noise
      } else if ((now - r.lastSeen) / 1000 <= cfg.lostMemorySeconds) {
        r.state = 'lost';
        survivors.push(r);
      }
    }
    for (const d of first.unmatchedDetections) {
      const r = new TrackRecord(`t${this.nextId++}`, d, now, cfg);
      if (cfg.minHits <= 1) r.state = 'tracked';
      survivors.push(r);
    }
    this.records = survivors;
    this.snapshot = survivors.map((r) => this.toTrack(r));
    return this.snapshot;
  }

  private compatible(a: string, b: string): boolean {
    if (a === b) return true;
    const ga = this.groupOf.get(a);
    return ga !== undefined && ga === this.groupOf.get(b);
  }

  private match(
    tracks: TrackRecord[],
    dets: readonly Detection[],
    minIou: number,
  ): { pairs: [TrackRecord, Detection][]; unmatchedTracks: TrackRecord[]; unmatchedDetections: Detection[] } {
    const boxes = tracks.map((r) => r.kf.box);
    // A stationary track only takes a detection centred near its spot: a vehicle passing in front
    // of a parked one must not drag the parked car's track (and its dwell) away with it.
    const gate = 3 * this.config.stationaryMaxDisplacement;
    const near = (r: TrackRecord, d: Detection): boolean => {
      if (r.stationarySince === undefined || !r.anchor) return true;
      const c = centre(d.bbox);
      return Math.hypot(c.cx - r.anchor.cx, c.cy - r.anchor.cy) <= gate;
    };
    const score = tracks.map((r, i) => dets.map((d) => (this.compatible(r.objectClass, d.objectClass) && near(r, d) ? iou(boxes[i] as BBox, d.bbox) : 0)));
    const pairs = assign(score, minIou).map(([ti, di]) => [tracks[ti], dets[di]] as [TrackRecord, Detection]);
    const usedT = new Set(pairs.map(([r]) => r));
    const usedD = new Set(pairs.map(([, d]) => d));
    return {
      pairs,
      unmatchedTracks: tracks.filter((r) => !usedT.has(r)),
      unmatchedDetections: dets.filter((d) => !usedD.has(d)),
    };
  }

  private apply(r: TrackRecord, d: Detection, now: number, matched: Set<TrackRecord>): void {
    matched.add(r);
    r.kf.update(d.bbox);
    r.lastBox = r.kf.box;
    r.hits++;
    r.lastSeen = now;
    r.score = d.score;
    r.lastClass = d.objectClass;
    r.votes.set(d.objectClass, (r.votes.get(d.objectClass) ?? 0) + 1);
    if (r.state !== 'tracked' && (r.state === 'lost' || r.hits >= this.config.minHits)) r.state = 'tracked';
    this.updateStationary(r, centre(d.bbox), now);
  }

  /** Stationary once the measured centre stayed within the threshold for the whole window. */
  private updateStationary(r: TrackRecord, c: { cx: number; cy: number }, now: number): void {
    const { stationaryWindowSeconds: win, stationaryMaxDisplacement: maxD } = this.config;
    r.history.push({ t: now, ...c });
    // Keep the window plus the newest sample older than it (so sparse samples still span it).
    const cutoff = now - win * 1000;
    const firstInside = r.history.findIndex((s) => s.t >= cutoff);
    if (firstInside > 0) r.history = r.history.slice(firstInside - 1);
    if (r.stationarySince !== undefined && r.anchor) {
      if (Math.hypot(c.cx - r.anchor.cx, c.cy - r.anchor.cy) <= maxD) {
        r.offSpotSince = undefined;
        return;
      }
      r.offSpotSince ??= now;
      if (now - r.offSpotSince < this.config.stationaryBreakSeconds * 1000) return;
      r.offSpotSince = undefined;
      r.stationarySince = undefined;
      r.anchor = undefined;
      r.history = [{ t: now, ...c }];
      return;
    }
    const oldest = r.history[0];
    if (!oldest || now - oldest.t < win * 1000) return;
    const n = r.history.length;
    const mean = r.history.reduce((m, s) => ({ cx: m.cx + s.cx / n, cy: m.cy + s.cy / n }), { cx: 0, cy: 0 });
    if (r.history.every((s) => Math.hypot(s.cx - mean.cx, s.cy - mean.cy) <= maxD / 2)) {
      r.stationarySince = oldest.t;
      r.anchor = mean;
    }
  }

  private toTrack(r: TrackRecord): Track {
    const v = r.kf.velocity;
    return {
      id: r.id,
      objectClass: r.objectClass,
      score: r.score,
      bbox: clampBox(r.state === 'lost' ? r.lastBox : r.kf.box),
      state: r.state,
      firstSeen: new Date(r.firstSeen),
      lastSeen: new Date(r.lastSeen),
      hits: r.hits,
      stationary: r.stationarySince !== undefined,
      stationarySince: r.stationarySince === undefined ? undefined : new Date(r.stationarySince),
      velocity: r.stationarySince !== undefined ? { x: 0, y: 0 } : { x: v.x, y: v.y },
    };
  }
}

function clampBox(b: BBox): BBox {
  const x1 = Math.min(1, Math.max(0, b.x));
  const y1 = Math.min(1, Math.max(0, b.y));
  const x2 = Math.min(1, Math.max(0, b.x + b.w));
  const y2 = Math.min(1, Math.max(0, b.y + b.h));
  return { x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) };
}
