import type { BBox } from '../frame.js';
import type { StaticBlob } from '../motion/static-objects.js';
import type { Track } from '../tracker/tracker.js';
import type { Zone } from './config.js';
import { anchorOf, coverage, inPolygon, unionBox } from './geometry.js';

/** The object class reported for a static blob (no classifier saw it). */
export const STATIC_OBJECT_CLASS = 'static_object';

/** One thing for which a zone's rule holds in the current frame. */
export interface Observation {
  /** Stable subject key within the zone: `track:t7`, `blob:s3`, or `zone`. */
  readonly key: string;
  readonly trackId?: string;
  readonly objectClass: string;
  readonly score: number;
  readonly bbox: BBox;
  /** Earliest time the evidence says the condition has held (e.g. stationarySince). */
  readonly since: number;
}

export interface ZoneObservation {
  readonly holding: Observation[];
  /** Subject keys whose object is visibly gone from the zone (moving and outside): end now. */
  readonly left: Set<string>;
}

const inZone = (zone: Zone, b: BBox): boolean => inPolygon(anchorOf(b), zone.polygon);

/** Tracks the rules look at: confirmed and matched at the last detector run. */
const visible = (tracks: readonly Track[]): Track[] => tracks.filter((t) => t.state === 'tracked');

function trackObservation(t: Track, since: number): Observation {
  return { key: `track:${t.id}`, trackId: t.id, objectClass: t.objectClass, score: t.score, bbox: t.bbox, since };
}

/** Tracks that visibly drove/walked out: moving, anchor outside the zone. */
function leavers(zone: Zone, tracks: readonly Track[]): Set<string> {
  const left = new Set<string>();
  for (const t of visible(tracks)) if (!t.stationary && !inZone(zone, t.bbox)) left.add(`track:${t.id}`);
  return left;
}

const centreIn = (a: BBox, b: BBox): boolean => {
  const cx = a.x + a.w / 2;
  const cy = a.y + a.h / 2;
  return cx >= b.x && cx <= b.x + b.w && cy >= b.y && cy <= b.y + b.h;
};

/**
 * Static blobs in the zone not explained by a person/vehicle (or an already-tracked object). A
 * track explains where it is: a tracked one, or a lost one that was standing (a parked car or a
 * standing man the detector misses for a moment). A lost moving track's box is stale: the
 * passer-by walked on, and his last box must not hide the goods he walked past for the track's
 * memory (at 5 fps a passer-by lost over the vendor's goods ended the vendor's violation early).
 */
function unexplainedBlobs(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[], alsoExplaining: readonly string[]): StaticBlob[] {
  if (!zone.useStaticBlobs) return [];
  const explaining = tracks.filter(
    (t) =>
      (t.state === 'tracked' || (t.state === 'lost' && t.stationary)) &&
      (zone.explainingClasses.includes(t.objectClass) || alsoExplaining.includes(t.objectClass)),
  );
  return blobs.filter((b) => b.area >= zone.minBlobArea && inZone(zone, b.bbox) && !explaining.some((t) => coverage(b.bbox, t.bbox) > 0.5 || centreIn(b.bbox, t.bbox)));
}

function blobObservation(b: StaticBlob): Observation {
  return { key: `blob:${b.id}`, objectClass: STATIC_OBJECT_CLASS, score: b.score, bbox: b.bbox, since: b.since.getTime() };
}

/** A vehicle replaced at the same spot keeps its track; the ground under it tells: appeared this much after the track stopped. */
const REPLACED_AFTER_MS = 5000;

/**
 * illegal_parking: a vehicle, stationary, anchor in the zone. Dwell counts from stationarySince.
 * A car driven away and replaced by another at the same spot within a detector frame or two keeps
 * the tracker's track (same place, same class); the static-object layer sees the change: a static
 * blob covering most of the vehicle's box that appeared well after the track became stationary is
 * a new vehicle, so a new subject (`track:<id>@<appearance>`) with its own dwell.
 */
function parking(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[]): ZoneObservation {
  const holding = visible(tracks)
    .filter((t) => zone.objectClasses.includes(t.objectClass) && t.stationary && inZone(zone, t.bbox))
    .map((t) => {
      const stopped = t.stationarySince?.getTime() ?? t.lastSeen.getTime();
      const newer = blobs
        .filter((b) => b.since.getTime() > stopped + REPLACED_AFTER_MS && coverage(b.bbox, t.bbox) > 0.8 && b.bbox.w * b.bbox.h >= 0.3 * t.bbox.w * t.bbox.h)
        .sort((a, b) => b.since.getTime() - a.since.getTime())[0];
      if (!newer) return trackObservation(t, stopped);
      return { ...trackObservation(t, newer.since.getTime()), key: `track:${t.id}@${newer.since.getTime()}` };
    });
  return { holding, left: leavers(zone, tracks) };
}

/** shopfront_spillover / dumping: stationary objects of the zone's classes, plus unexplained static blobs. */
function leftObjects(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[]): ZoneObservation {
  const objects = visible(tracks).filter((t) => zone.objectClasses.includes(t.objectClass) && t.stationary && inZone(zone, t.bbox));
  const holding = objects.map((t) => trackObservation(t, t.stationarySince?.getTime() ?? t.lastSeen.getTime()));
  // A blob covered by a tracked object of the zone's classes is that object: counted once, as the track.
  for (const b of unexplainedBlobs(zone, tracks, blobs, zone.objectClasses)) holding.push(blobObservation(b));
  return { holding, left: leavers(zone, tracks) };
}

/** Gap between two boxes (0 when they touch or overlap), normalized units. */
function boxGap(a: BBox, b: BBox): number {
  const dx = Math.max(0, Math.max(a.x, b.x) - Math.min(a.x + a.w, b.x + b.w));
  const dy = Math.max(0, Math.max(a.y, b.y) - Math.min(a.y + a.h, b.y + b.h));
  return Math.hypot(dx, dy);
}

/**
 * street_vendor: goods (a stationary object of the zone's classes, or an unexplained static blob)
 * in the zone with a person who stays by them: a person track, in the zone or not, that is stationary (has not moved
 * beyond the tracker's small radius for its stationary window), within `vendorReach` person
 * heights of the goods, and that began to stay within `vendorPairSeconds` of the goods
 * appearing (they came together). A passer-by (moving), a person lingering with no goods, and goods
 * nobody stays with are not a vendor. One subject per vendor (`vendor:<person track>`, whatever
 * pieces the goods are seen in); dwell counts from when the pair was first complete.
 */
function vendor(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[]): ZoneObservation {
  const vis = visible(tracks);
  // The goods must be in the zone; the seller only beside them (a seller standing just past the
  // zone's edge with his goods on the walkway is selling on the walkway).
  const stayers = vis.filter((t) => zone.personClasses.includes(t.objectClass) && t.stationary && t.stationarySince !== undefined);
  if (stayers.length === 0) return { holding: [], left: new Set() };
  const goods: { bbox: BBox; since: number; score: number; objectClass: string; trackId?: string }[] = [];
  for (const t of vis) {
    if (!zone.objectClasses.includes(t.objectClass) || !t.stationary || !inZone(zone, t.bbox)) continue;
    goods.push({ bbox: t.bbox, since: t.stationarySince?.getTime() ?? t.firstSeen.getTime(), score: t.score, objectClass: t.objectClass, trackId: t.id });
  }
  for (const b of unexplainedBlobs(zone, tracks, blobs, zone.objectClasses)) {
    goods.push({ bbox: b.bbox, since: b.since.getTime(), score: b.score, objectClass: STATIC_OBJECT_CLASS });
  }
  const holding: Observation[] = [];
  for (const p of stayers) {
    const stayingSince = p.stationarySince?.getTime() ?? 0;
    const stall = goods.filter((g) => boxGap(p.bbox, g.bbox) <= zone.vendorReach * p.bbox.h && Math.abs(stayingSince - g.since) <= zone.vendorPairSeconds * 1000);
    if (stall.length === 0) continue;
    const main = stall.find((g) => g.trackId !== undefined) ?? stall[0];
    if (!main) continue;
    holding.push({
      key: `vendor:${p.id}`,
      ...(main.trackId !== undefined && { trackId: main.trackId }),
      objectClass: main.objectClass,
      score: Math.min(Math.max(...stall.map((g) => g.score)), p.score),
      bbox: unionBox([p.bbox, ...stall.map((g) => g.bbox)]),
      since: Math.max(stayingSince, Math.min(...stall.map((g) => g.since))),
    });
  }
  return { holding, left: new Set() };
}

/** What holds in `zone` for this frame (pure). */
export function observeZone(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[]): ZoneObservation {
  switch (zone.type) {
    case 'illegal_parking':
      return parking(zone, tracks, blobs);
    case 'street_vendor':
      return vendor(zone, tracks, blobs);
    case 'shopfront_spillover':
    case 'dumping':
      return leftObjects(zone, tracks, blobs);
  }
}
