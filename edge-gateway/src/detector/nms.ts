import { iou } from '../frame.js';
import type { Detection } from './types.js';

/**
 * Greedy non-maximum suppression. CenterNet emits several overlapping boxes for
 * one large object (and car/truck for the same vehicle); each would become a
 * track. Two boxes compete when they share an object class or a merge group.
 * Input sorted by score descending; output keeps that order.
 */
export function suppress(dets: readonly Detection[], iouThreshold: number, groups: readonly (readonly string[])[]): Detection[] {
  const groupOf = new Map<string, number>();
  groups.forEach((g, i) => g.forEach((c) => groupOf.set(c, i)));
  const key = (d: Detection): string => {
    const g = groupOf.get(d.objectClass);
    return g === undefined ? `c:${d.objectClass}` : `g:${g}`;
  };
  const kept: Detection[] = [];
  for (const d of dets) {
    const k = key(d);
    if (kept.some((e) => key(e) === k && iou(e.bbox, d.bbox) > iouThreshold)) continue;
    kept.push(d);
  }
  return kept;
}
