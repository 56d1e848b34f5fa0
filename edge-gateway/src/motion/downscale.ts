import type { Frame } from '../frame.js';
import { AnalyticsError } from '../detector/errors.js';

/**
 * Area-average an rgb24 frame down to `width` x `height` luma (0-255, BT.601 weights).
 * Every source pixel contributes to exactly one output cell, so sensor noise is averaged
 * away instead of aliased. Writes into `out` when given (reused between frames).
 */
export function downscaleGrey(frame: Frame, width: number, height: number, out?: Float32Array): Float32Array {
  const { width: W, height: H, data } = frame;
  if (data.length < W * H * 3) throw new AnalyticsError('SW_EDGE_FRAME_INVALID', `${data.length} bytes for ${W}x${H}`);
  const n = width * height;
  const sums = out && out.length === n ? out : new Float32Array(n);
  sums.fill(0);
  const counts = new Uint32Array(n);
  const colOf = new Uint32Array(W);
  for (let x = 0; x < W; x++) colOf[x] = Math.min(width - 1, Math.floor((x * width) / W));
  for (let y = 0; y < H; y++) {
    const rowBase = Math.min(height - 1, Math.floor((y * height) / H)) * width;
    let p = y * W * 3;
    for (let x = 0; x < W; x++, p += 3) {
      const luma = 0.299 * (data[p] as number) + 0.587 * (data[p + 1] as number) + 0.114 * (data[p + 2] as number);
      const cell = rowBase + (colOf[x] as number);
      sums[cell] = (sums[cell] as number) + luma;
      counts[cell] = (counts[cell] as number) + 1;
    }
  }
  for (let i = 0; i < n; i++) sums[i] = (sums[i] as number) / Math.max(1, counts[i] as number);
  return sums;
}

/** Running-average weight for a time step `dtSeconds` and time constant `tauSeconds`. */
export function blendWeight(dtSeconds: number, tauSeconds: number): number {
  if (!(dtSeconds > 0)) return 0;
  return 1 - Math.exp(-dtSeconds / tauSeconds);
}
