/**
 * `count_line` zones: where people and vehicles are counted crossing, per direction.
 *
 *   - { id: L1, type: count_line, line: [[0.1, 0.6], [0.9, 0.6]] }   a directed line a -> b:
 *     `in` = crossing to its left as seen in the image (walking from a to b, the left hand side),
 *     `out` = crossing to its right; only crossings within the segment count.
 *   - { id: G1, type: count_line, polygon: [[...], ...] }              a gate: `in` = entering it,
 *     `out` = leaving it.
 *
 * They sit in a camera's `zones` list beside the violation zones (config/parse.ts checks each
 * zone by its type and hands the count lines to the counter, the violation zones to the rules).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldError } from '@streetwatch/schemas';
import type { Point } from '../rules/geometry.js';

export const COUNT_LINE = 'count_line';

const PointSchema = Type.Tuple([Type.Number({ minimum: 0, maximum: 1 }), Type.Number({ minimum: 0, maximum: 1 })]);
const ClassName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_]*$' });

/** People and vehicles, by COCO class: a cyclist counts as a person and a bicycle. */
export const DEFAULT_COUNT_CLASSES: Readonly<Record<string, readonly string[]>> = {
  person: ['person'],
  vehicle: ['car', 'truck', 'bus', 'motorcycle'],
  bicycle: ['bicycle'],
};

export const CountLineSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' }),
    type: Type.Literal(COUNT_LINE),
    line: Type.Optional(
      Type.Array(PointSchema, {
        minItems: 2,
        maxItems: 2,
        description: 'directed line [a, b] in normalized [x, y] (0-1, origin top-left): in = crossing to its left as seen in the image',
      }),
    ),
    polygon: Type.Optional(Type.Array(PointSchema, { minItems: 3, description: 'a gate instead of a line: in = entering it, out = leaving it' })),
    classes: Type.Optional(
      Type.Record(ClassName, Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, uniqueItems: true }), {
        description: 'counted class -> detector classes (default person, vehicle: car/truck/bus/motorcycle, bicycle)',
      }),
    ),
    hysteresis: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 0.2,
        description:
          'dead band each side of the line or gate edge (normalized units, default 0.02): an object counts as across only once its ground point is this far beyond it, so standing or jittering on the line never counts',
      }),
    ),
    gridId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' })),
  },
  { additionalProperties: false },
);
export type CountLineConfig = Static<typeof CountLineSchema>;

/** A count line with its defaults applied. */
export interface CountLine {
  readonly id: string;
  readonly shape: { readonly kind: 'line'; readonly a: Point; readonly b: Point } | { readonly kind: 'gate'; readonly polygon: readonly Point[] };
  /** Counted class -> detector classes. */
  readonly classes: Readonly<Record<string, readonly string[]>>;
  readonly hysteresis: number;
  readonly gridId?: string;
}

export const DEFAULT_HYSTERESIS = 0.02;

/** Twice the signed area of a polygon. */
function area2(p: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const [x1, y1] = p[i] as Point;
    const [x2, y2] = p[(i + 1) % p.length] as Point;
    s += x1 * y2 - x2 * y1;
  }
  return s;
}

/**
 * The rules a schema cannot say, as problems by path under `path` (the zone's): exactly one of
 * line or polygon, a line with two distinct points longer than the dead band, a gate with an
 * area, and no detector class counted under two names.
 */
export function countLineProblems(z: CountLineConfig, path: string): FieldError[] {
  const out: FieldError[] = [];
  const h = z.hysteresis ?? DEFAULT_HYSTERESIS;
  if ((z.line === undefined) === (z.polygon === undefined)) {
    out.push({ path, message: 'a count_line needs exactly one of line (a directed line [a, b]) or polygon (a gate)' });
  }
  if (z.line !== undefined) {
    const a = z.line[0] as Point;
    const b = z.line[1] as Point;
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (len === 0) out.push({ path: `${path}/line`, message: 'its two points are the same: a line needs a direction (a -> b)' });
    else if (len <= 2 * h) out.push({ path: `${path}/line`, message: `is ${len.toFixed(3)} long, not longer than twice the hysteresis (${h}): nothing could cross it` });
  }
  if (z.polygon !== undefined && Math.abs(area2(z.polygon as Point[])) < 1e-9) {
    out.push({ path: `${path}/polygon`, message: 'has no area (its points are on one line)' });
  }
  const owner = new Map<string, string>();
  for (const [name, detectorClasses] of Object.entries(z.classes ?? {})) {
    for (const c of detectorClasses) {
      const prev = owner.get(c);
      if (prev !== undefined) out.push({ path: `${path}/classes/${name}`, message: `detector class ${c} is already counted as ${prev}` });
      else owner.set(c, name);
    }
  }
  if (z.classes !== undefined && Object.keys(z.classes).length === 0) out.push({ path: `${path}/classes`, message: 'names no class to count' });
  return out;
}

/** Defaults applied (call after countLineProblems found none). */
export function resolveCountLine(z: CountLineConfig): CountLine {
  const shape =
    z.line !== undefined
      ? { kind: 'line' as const, a: [z.line[0]?.[0] ?? 0, z.line[0]?.[1] ?? 0] as const, b: [z.line[1]?.[0] ?? 0, z.line[1]?.[1] ?? 0] as const }
      : { kind: 'gate' as const, polygon: (z.polygon ?? []).map(([x, y]) => [x, y] as const) };
  return {
    id: z.id,
    shape,
    classes: z.classes ?? DEFAULT_COUNT_CLASSES,
    hysteresis: z.hysteresis ?? DEFAULT_HYSTERESIS,
    ...(z.gridId !== undefined && { gridId: z.gridId }),
  };
}
