/**
 * Which side of a count line (or gate) a point is on, with a dead band, and whether a move
 * between two points crossed the line within its segment. Normalized frame coordinates (0-1,
 * origin top-left, y down).
 */
import pointInPolygonHao from 'point-in-polygon-hao';
import type { Point } from '../rules/geometry.js';
import type { CountLine } from './config.js';

/** +1: the `in` side (left of a -> b as seen in the image; inside a gate), -1: the `out` side, 0: in the dead band. */
export type Side = 1 | -1 | 0;

export interface CountShape {
  side(p: Point): Side;
  /** Did a move from `p0` (settled on one side) to `p1` (settled on the other) cross within the line's extent? */
  crossedWithin(p0: Point, p1: Point): boolean;
}

/**
 * Signed distance from the infinite line a -> b, positive on its left as seen in the image. With
 * y pointing down, the visual left of a -> b is where the usual cross product is negative.
 */
function signedDistance(a: Point, b: Point, p: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  return -(dx * (p[1] - a[1]) - dy * (p[0] - a[0])) / Math.hypot(dx, dy);
}

class LineShape implements CountShape {
  private readonly dx: number;
  private readonly dy: number;
  private readonly len2: number;
  /** Extent tolerance along the line, as a share of its length (the dead band at each end). */
  private readonly tol: number;

  constructor(
    private readonly a: Point,
    private readonly b: Point,
    private readonly h: number,
  ) {
    this.dx = b[0] - a[0];
    this.dy = b[1] - a[1];
    this.len2 = this.dx * this.dx + this.dy * this.dy;
    this.tol = h / Math.sqrt(this.len2);
  }

  side(p: Point): Side {
    const d = signedDistance(this.a, this.b, p);
    return d > this.h ? 1 : d < -this.h ? -1 : 0;
  }

  crossedWithin(p0: Point, p1: Point): boolean {
    const d0 = signedDistance(this.a, this.b, p0);
    const d1 = signedDistance(this.a, this.b, p1);
    if (d0 === d1) return false;
    const k = d0 / (d0 - d1);
    const x = p0[0] + k * (p1[0] - p0[0]);
    const y = p0[1] + k * (p1[1] - p0[1]);
    const u = ((x - this.a[0]) * this.dx + (y - this.a[1]) * this.dy) / this.len2;
    return u >= -this.tol && u <= 1 + this.tol;
  }
}

function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const l2 = dx * dx + dy * dy;
  const u = l2 === 0 ? 0 : Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / l2));
  return Math.hypot(p[0] - (a[0] + u * dx), p[1] - (a[1] + u * dy));
}

class GateShape implements CountShape {
  private readonly ring: number[][][];

  constructor(
    private readonly polygon: readonly Point[],
    private readonly h: number,
  ) {
    const ring = polygon.map(([x, y]) => [x, y]);
    ring.push([polygon[0]?.[0] ?? 0, polygon[0]?.[1] ?? 0]);
    this.ring = [ring];
  }

  side(p: Point): Side {
    let d = Infinity;
    for (let i = 0; i < this.polygon.length; i++) d = Math.min(d, distanceToSegment(p, this.polygon[i] as Point, this.polygon[(i + 1) % this.polygon.length] as Point));
    if (d <= this.h) return 0;
    return pointInPolygonHao([p[0], p[1]], this.ring) !== false ? 1 : -1;
  }

  crossedWithin(): boolean {
    return true; // a gate has no outside extent: any way in is in
  }
}

export function countShape(line: CountLine): CountShape {
  return line.shape.kind === 'line' ? new LineShape(line.shape.a, line.shape.b, line.hysteresis) : new GateShape(line.shape.polygon, line.hysteresis);
}
