import { iou, type BBox } from '../frame.js';
import { connectedComponents, dilate3x3 } from './components.js';
import type { StaticObjectConfig } from './config.js';
import { blendWeight } from './downscale.js';

/** Something that appeared and stayed: in the long-term foreground but the short-term background. */
export interface StaticBlob {
  /** Stable while the blob persists (`s1`, `s2`, ...; per detector instance). */
  readonly id: string;
  /** Normalized frame coordinates. */
  readonly bbox: BBox;
  /** Share of the frame the blob covers. */
  readonly area: number;
  /** When its pixels became static (eventTime clock). */
  readonly since: Date;
  /** Seconds from `since` to the current frame. */
  readonly ageSeconds: number;
}

interface KnownBlob {
  id: string;
  bbox: BBox;
  since: number;
}

/**
 * Dual-background static-object detector for one camera (abandoned objects,
 * dumping, spillover). Works on the motion gate's downscaled grey frame.
 *
 * - fast background (tau ~ seconds) absorbs anything that stopped moving;
 * - slow background (tau ~ minutes) follows lighting; it is not updated where
 *   the scene is moving, and only at `absorbTauSeconds` under a static pixel, so a
 *   left object is remembered for about absorbTau * ln(contrast / threshold);
 * - static pixel = |grey - slow| > T and |grey - fast| <= T; 8-connected
 *   components of the (3x3 dilated) mask of pixels static for `confirmSeconds` are the blobs; a blob keeps its id
 *   from frame to frame by IoU; its age counts from when its pixels became static.
 * - a global change (more than `maxStaticFraction` static) relearns the slow
 *   background instead of reporting one huge blob.
 */
export class StaticObjectDetector {
  private fast: Float32Array | undefined;
  private slow: Float32Array | undefined;
  private staticSince: Float64Array | undefined;
  private lastTime: number | undefined;
  private known: KnownBlob[] = [];
  private nextId = 1;
  private current: StaticBlob[] = [];

  constructor(
    private readonly config: StaticObjectConfig,
    private readonly width: number,
    private readonly height: number,
  ) {}

  /** The blobs found by the last update. */
  get blobs(): readonly StaticBlob[] {
    return this.current;
  }

  /** Feed one downscaled grey frame (`width * height`, from MotionGate) taken at `eventTime`. */
  update(grey: Float32Array, eventTime: Date): readonly StaticBlob[] {
    const n = this.width * this.height;
    if (grey.length !== n) throw new RangeError(`grey frame has ${grey.length} pixels, expected ${n}`);
    const now = eventTime.getTime();
    if (this.lastTime !== undefined && now < this.lastTime) this.reset();
    if (!this.fast || !this.slow || !this.staticSince) {
      this.fast = Float32Array.from(grey);
      this.slow = Float32Array.from(grey);
      this.staticSince = new Float64Array(n).fill(Number.NaN);
      this.lastTime = now;
      this.current = [];
      return this.current;
    }
    const { fastTauSeconds, slowTauSeconds, absorbTauSeconds, pixelThreshold: T } = this.config;
    const confirmMs = this.config.confirmSeconds * 1000;
    const dt = (now - (this.lastTime ?? now)) / 1000;
    this.lastTime = now;
    const aFast = blendWeight(dt, fastTauSeconds);
    const aSlow = blendWeight(dt, slowTauSeconds);
    const aAbsorb = blendWeight(dt, absorbTauSeconds);
    const { fast, slow, staticSince } = this;
    const mask = new Uint8Array(n);
    let staticCount = 0;
    for (let i = 0; i < n; i++) {
      const g = grey[i] as number;
      const f = fast[i] as number;
      const s = slow[i] as number;
      const moving = Math.abs(g - f) > T;
      const isStatic = !moving && Math.abs(g - s) > T;
      fast[i] = f + aFast * (g - f);
      if (isStatic) {
        if (Number.isNaN(staticSince[i])) staticSince[i] = now;
        if (now - (staticSince[i] as number) >= confirmMs) mask[i] = 1;
        staticCount++;
        slow[i] = s + aAbsorb * (g - s);
      } else {
        staticSince[i] = Number.NaN;
        if (!moving) slow[i] = s + aSlow * (g - s);
      }
    }
    if (staticCount > this.config.maxStaticFraction * n) {
      // Lighting jump or camera moved: everything looks "static". Relearn instead of reporting it.
      slow.set(fast);
      staticSince.fill(Number.NaN);
      this.known = [];
      this.current = [];
      return this.current;
    }
    this.current = this.label(mask, now);
    return this.current;
  }

  private label(mask: Uint8Array, now: number): StaticBlob[] {
    const { width: W, height: H } = this;
    const minArea = Math.max(1, Math.round(this.config.minBlobArea * W * H));
    const comps = connectedComponents(dilate3x3(mask, W, H), W, H, minArea);
    const since = this.staticSince;
    const previous = this.known;
    const claimed = new Set<string>();
    const next: KnownBlob[] = [];
    for (const c of comps) {
      const bbox: BBox = { x: c.minX / W, y: c.minY / H, w: (c.maxX - c.minX + 1) / W, h: (c.maxY - c.minY + 1) / H };
      // Median time at which the component's static pixels became static.
      const times: number[] = [];
      for (const p of c.pixels) {
        const t = since?.[p];
        if (t !== undefined && !Number.isNaN(t)) times.push(t);
      }
      times.sort((a, b) => a - b);
      const pixelSince = times[Math.floor(times.length / 2)] ?? now;
      let best: KnownBlob | undefined;
      let bestIou = this.config.blobMatchIou;
      for (const k of previous) {
        if (claimed.has(k.id)) continue;
        const v = iou(k.bbox, bbox);
        if (v >= bestIou) {
          bestIou = v;
          best = k;
        }
      }
      if (best) claimed.add(best.id);
      next.push({ id: best?.id ?? `s${this.nextId++}`, bbox, since: Math.min(best?.since ?? pixelSince, pixelSince) });
    }
    this.known = next;
    return next.map((k, i) => ({
      id: k.id,
      bbox: k.bbox,
      area: (comps[i]?.area ?? 0) / (W * H),
      since: new Date(k.since),
      ageSeconds: (now - k.since) / 1000,
    }));
  }

  reset(): void {
    this.fast = undefined;
    this.slow = undefined;
    this.staticSince = undefined;
    this.lastTime = undefined;
    this.known = [];
    this.current = [];
  }
}
