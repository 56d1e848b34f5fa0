import pointInPolygonHao from 'point-in-polygon-hao';
import { intersection, type BBox } from '../frame.js';

/** A point in normalized frame coordinates. */
export type Point = readonly [number, number];
/** A simple polygon (convex or concave), normalized points, implicitly closed. */
export type Polygon = readonly Point[];

/** The anchor of an object: bottom-centre of its box (where it touches the ground). */
export function anchorOf(b: BBox): Point {
  return [b.x + b.w / 2, b.y + b.h];
}

/**
 * Point-in-polygon (robust predicates, `point-in-polygon-hao`). Points exactly on
 * an edge or a vertex count as inside, so two zones sharing an edge both claim it
 * rather than neither.
 */
export function inPolygon(p: Point, polygon: Polygon): boolean {
  if (polygon.length < 3) return false;
  const ring = polygon.map(([x, y]) => [x, y]);
  const first = ring[0] as number[];
  const last = ring[ring.length - 1] as number[];
  if (first[0] !== last[0] || first[1] !== last[1]) ring.push([first[0] as number, first[1] as number]);
  return pointInPolygonHao([p[0], p[1]], [ring]) !== false;
}

/** Share of box `a` covered by box `b` (0-1). */
export function coverage(a: BBox, b: BBox): number {
  const area = a.w * a.h;
  return area > 0 ? intersection(a, b) / area : 0;
}

/** Smallest box containing all the given boxes. */
export function unionBox(boxes: readonly BBox[]): BBox {
  let x1 = 1;
  let y1 = 1;
  let x2 = 0;
  let y2 = 0;
  for (const b of boxes) {
    x1 = Math.min(x1, b.x);
    y1 = Math.min(y1, b.y);
    x2 = Math.max(x2, b.x + b.w);
    y2 = Math.max(y2, b.y + b.h);
  }
  return x2 > x1 && y2 > y1 ? { x: x1, y: y1, w: x2 - x1, h: y2 - y1 } : { x: 0, y: 0, w: 0, h: 0 };
}
