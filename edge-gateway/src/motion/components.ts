/** A connected component of a binary mask, in mask pixels. */
export interface Component {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  /** Number of mask pixels in the component. */
  readonly area: number;
  /** Indices of the component's pixels. */
  readonly pixels: Int32Array;
}

/** Binary dilation with a 3x3 square (closes one-pixel gaps in a fragmented blob). */
export function dilate3x3(mask: Uint8Array, width: number, height: number): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!mask[y * width + x]) continue;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx >= 0 && xx < width) out[yy * width + xx] = 1;
        }
      }
    }
  }
  return out;
}

/**
 * 8-connected components of `mask` with at least `minArea` pixels (iterative flood fill). With
 * `joins`, two neighbouring mask pixels belong to one component only when `joins(p, q)` holds.
 */
export function connectedComponents(mask: Uint8Array, width: number, height: number, minArea: number, joins?: (p: number, q: number) => boolean): Component[] {
  const seen = new Uint8Array(mask.length);
  const stack = new Int32Array(mask.length);
  const result: Component[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || seen[start]) continue;
    let top = 0;
    let count = 0;
    const pixels: number[] = [];
    let minX = width;
    let minY = height;
    let maxX = -1;
    let maxY = -1;
    stack[top++] = start;
    seen[start] = 1;
    while (top > 0) {
      const p = stack[--top] as number;
      pixels.push(p);
      count++;
      const x = p % width;
      const y = (p - x) / width;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const q = yy * width + xx;
          if (mask[q] && !seen[q] && (!joins || joins(p, q))) {
            seen[q] = 1;
            stack[top++] = q;
          }
        }
      }
    }
    if (count >= minArea) result.push({ minX, minY, maxX, maxY, area: count, pixels: Int32Array.from(pixels) });
  }
  return result;
}
