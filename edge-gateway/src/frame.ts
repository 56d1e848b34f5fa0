/**
 * One decoded video frame, as the sampler hands it to the analytics stages.
 * `data` is packed rgb24 (width * height * 3 bytes, row-major, no padding).
 * `eventTime` is the camera/stream time of the frame: every analytics stage
 * takes its notion of time from here (never the wall clock), so a replay of
 * the same frames is deterministic.
 */
export interface Frame {
  cameraId: string;
  seq: number;
  width: number;
  height: number;
  data: Buffer;
  eventTime: Date;
}

/** A box in normalized frame coordinates: x, y = top-left; all values in [0, 1]. */
export interface BBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Intersection area of two boxes. */
export function intersection(a: BBox, b: BBox): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function iou(a: BBox, b: BBox): number {
  const inter = intersection(a, b);
  const union = a.w * a.h + b.w * b.h - inter;
  return union > 0 ? inter / union : 0;
}
