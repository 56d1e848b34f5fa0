import type { BBox } from '../frame.js';
import type { StaticBlob } from '../motion/static-objects.js';
import type { Track } from '../tracker/tracker.js';
import type { Zone } from './config.js';
import { anchorOf, coverage, inPolygon, unionBox } from './geometry.js';

/** The object class reported for a static blob (no classifier saw it). */
export const STATIC_OBJECT_CLASS = 'static_object';
/** Score reported for a static blob: pixel evidence only, no classifier confidence. */
export const STATIC_BLOB_SCORE = 0.5;

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

/** Static blobs in the zone not explained by a person/vehicle (or an already-tracked object). */
function unexplainedBlobs(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[], alsoExplaining: readonly string[]): StaticBlob[] {
  if (!zone.useStaticBlobs) return [];
  const explaining = tracks.filter(
    (t) => t.state !== 'tentative' && (zone.explainingClasses.includes(t.objectClass) || alsoExplaining.includes(t.objectClass)),
  );
  return blobs.filter((b) => b.area >= zone.minBlobArea && inZone(zone, b.bbox) && !explaining.some((t) => coverage(b.bbox, t.bbox) > 0.5));
}

function blobObservation(b: StaticBlob): Observation {
  return { key: `blob:${b.id}`, objectClass: STATIC_OBJECT_CLASS, score: STATIC_BLOB_SCORE, bbox: b.bbox, since: b.since.getTime() };
}

/** illegal_parking: a vehicle, stationary, anchor in the zone. Dwell counts from stationarySince. */
function parking(zone: Zone, tracks: readonly Track[]): ZoneObservation {
  const holding = visible(tracks)
    .filter((t) => zone.objectClasses.includes(t.objectClass) && t.stationary && inZone(zone, t.bbox))
    .map((t) => trackObservation(t, t.stationarySince?.getTime() ?? t.lastSeen.getTime()));
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

/**
 * street_vendor: one zone-level subject while a person and a vendor object
 * (stationary object of the zone's classes, or an unexplained static blob) are
 * both in the zone. Dwell counts from when that was first seen.
 */
function vendor(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[], now: number): ZoneObservation {
  const vis = visible(tracks);
  const people = vis.filter((t) => zone.personClasses.includes(t.objectClass) && inZone(zone, t.bbox));
  const objects = vis.filter((t) => zone.objectClasses.includes(t.objectClass) && t.stationary && inZone(zone, t.bbox));
  const stalls = unexplainedBlobs(zone, tracks, blobs, zone.objectClasses);
  if (people.length === 0 || objects.length + stalls.length === 0) return { holding: [], left: new Set() };
  const main = objects.slice().sort((a, b) => b.score - a.score)[0];
  const boxes = [...people, ...objects].map((t) => t.bbox).concat(stalls.map((b) => b.bbox));
  const obs: Observation = {
    key: 'zone',
    ...(main && { trackId: main.id }),
    objectClass: main?.objectClass ?? STATIC_OBJECT_CLASS,
    score: Math.max(...[...people, ...objects].map((t) => t.score)),
    bbox: unionBox(boxes),
    since: now,
  };
  return { holding: [obs], left: new Set() };
}

/** What holds in `zone` for this frame (pure). */
export function observeZone(zone: Zone, tracks: readonly Track[], blobs: readonly StaticBlob[], now: number): ZoneObservation {
  switch (zone.type) {
    case 'illegal_parking':
      return parking(zone, tracks);
    case 'street_vendor':
      return vendor(zone, tracks, blobs, now);
    case 'shopfront_spillover':
    case 'dumping':
      return leftObjects(zone, tracks, blobs);
  }
}
