/**
 * Pixel measures of the static-object layer (static-objects.ts), on the downscaled grey frame and
 * its backgrounds (row-major, `W` x `H`): edge evidence and texture correlation of a component,
 * the time-aware joining dilation, and box helpers.
 */
import type { BBox } from '../frame.js';

/** Gradient magnitude (|dx| + |dy|, central differences) of `img` at pixel `p`. */
function gradient(img: Float32Array, p: number, W: number, H: number): number {
  const x = p % W;
  const y = (p - x) / W;
  const at = (xx: number, yy: number): number => img[Math.min(H - 1, Math.max(0, yy)) * W + Math.min(W - 1, Math.max(0, xx))] as number;
  return Math.abs(at(x + 1, y) - at(x - 1, y)) + Math.abs(at(x, y + 1) - at(x, y - 1));
}

/** Edge evidence (see StaticBlob.score) along the outline of a component's pixels. */
export function edgeEvidence(pixels: Int32Array, member: Uint8Array, grey: Float32Array, slow: Float32Array, W: number, H: number): number {
  let cur = 0;
  let bg = 0;
  for (const p of pixels) {
    const x = p % W;
    const onOutline = x === 0 || x === W - 1 || !member[p - 1] || !member[p + 1] || !member[p - W] || !member[p + W];
    if (!onOutline) continue;
    cur += gradient(grey, p, W, H);
    bg += gradient(slow, p, W, H);
  }
  return cur + bg === 0 ? 0.5 : cur / (cur + bg);
}

/**
 * Correlation (Pearson, -1..1) of the frame with the slow background over a component's pixels:
 * near 1 when the same surface is there under another light (a cloud's edge, a highlight that
 * clipped), low for an object that replaced what was there. 0 when either is flat.
 */
export function sameTexture(pixels: Int32Array, grey: Float32Array, slow: Float32Array): number {
  let sa = 0;
  let sb = 0;
  for (const p of pixels) {
    sa += grey[p] as number;
    sb += slow[p] as number;
  }
  const n = pixels.length;
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (const p of pixels) {
    const a = (grey[p] as number) - ma;
    const b = (slow[p] as number) - mb;
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  // flat patches (variance under ~2 grey levels): nothing to compare
  if (aa < 4 * n || bb < 4 * n) return 0;
  return ab / Math.sqrt(aa * bb);
}

/**
 * 3x3 dilation that closes one-pixel gaps in a fragmented object but never bridges two objects:
 * a pixel is added only when its confirmed neighbours appeared within `tolMs` of each other,
 * and it takes their earliest appearance time.
 */
export function dilateByTime(mask: Uint8Array, diffSince: Float64Array, tolMs: number, W: number, H: number): { grown: Uint8Array; times: Float64Array } {
  const grown = Uint8Array.from(mask);
  const times = new Float64Array(mask.length).fill(Number.NaN);
  for (let p = 0; p < mask.length; p++) if (mask[p]) times[p] = diffSince[p] as number;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (mask[p]) continue;
      let lo = Infinity;
      let hi = -Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= H) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= W || !mask[yy * W + xx]) continue;
          const t = diffSince[yy * W + xx] as number;
          if (t < lo) lo = t;
          if (t > hi) hi = t;
        }
      }
      if (lo !== Infinity && hi - lo <= tolMs) {
        grown[p] = 1;
        times[p] = lo;
      }
    }
  }
  return { grown, times };
}

export function unionOf(boxes: readonly BBox[]): BBox {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (const b of boxes) {
    x1 = Math.min(x1, b.x);
    y1 = Math.min(y1, b.y);
    x2 = Math.max(x2, b.x + b.w);
    y2 = Math.max(y2, b.y + b.h);
  }
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}

export function grow(b: BBox, dx: number, dy: number): BBox {
  return { x: b.x - dx, y: b.y - dy, w: b.w + 2 * dx, h: b.h + 2 * dy };
}

/** Bounding box (normalized) of the component's pixels that are set in `mask`; undefined when none is. */
export function boxOfConfirmed(pixels: Int32Array, mask: Uint8Array, W: number, H: number): BBox | undefined {
  let x1 = W;
  let y1 = H;
  let x2 = -1;
  let y2 = -1;
  for (const p of pixels) {
    if (!mask[p]) continue;
    const x = p % W;
    const y = (p - x) / W;
    if (x < x1) x1 = x;
    if (x > x2) x2 = x;
    if (y < y1) y1 = y;
    if (y > y2) y2 = y;
  }
  return x2 < 0 ? undefined : { x: x1 / W, y: y1 / H, w: (x2 - x1 + 1) / W, h: (y2 - y1 + 1) / H };
}
