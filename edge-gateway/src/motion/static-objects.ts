import { intersection, iou, type BBox } from '../frame.js';
import { connectedComponents } from './components.js';
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
  /** When it appeared: when its pixels began to differ from the long-term background (eventTime clock). */
  readonly since: Date;
  /** Seconds from `since` to the current frame. */
  readonly ageSeconds: number;
  /**
   * Evidence that this is an object put there rather than background uncovered (0-1): the share of
   * the gradient energy along the blob's outline that is in the current frame rather than in the
   * background it replaced. 1 = the outline is all new edges (an object); 0 = the edges were in the
   * background and are gone (a "ghost": something that stood there left). Blobs below
   * `minEdgeEvidence` are not reported.
   */
  readonly score: number;
}

interface KnownBlob {
  id: string;
  bbox: BBox;
  since: number;
  score: number;
  lastSeen: number;
}

/**
 * Dual-background static-object detector for one camera (abandoned objects,
 * dumping, spillover). Works on the motion gate's downscaled grey frame. Every rate is in
 * seconds, never in frames, so 1, 2 or 5 analytic fps find the same blobs at the same times.
 *
 * - initialisation: the long-term background is the per-pixel temporal median of frames sampled
 *   over the first `initSeconds` (one frame is not trusted: whoever stands there would stay in it);
 *   nothing is reported before;
 * - fast background (tau ~ seconds) absorbs anything that stopped moving;
 * - slow background (tau ~ minutes) follows lighting; it is not updated where the scene is
 *   moving, and only at `absorbTauSeconds` under a static pixel; a global brightness shift (the
 *   median difference between frame and slow background, a cloud) is applied to both backgrounds
 *   at once instead of turning every pixel "static" (slow) or "moving" (fast);
 * - a pixel is static when |grey - slow| > T and |grey - fast| <= T; it joins a blob after
 *   `confirmSeconds` static; each pixel remembers since when it has differed from the slow
 *   background (its appearance time);
 * - blobs = 8-connected components of confirmed pixels, where neighbours join only when they
 *   appeared within `sameObjectSeconds` of each other: a box put down next to an older object (or
 *   a ghost) is its own blob with its own start time;
 * - a blob's id is kept from frame to frame (and across an occlusion of up to
 *   `blobMemorySeconds`) when its box overlaps a known blob's by `blobMatchIou` and they appeared
 *   within `sameObjectSeconds`; its `since` is its own appearance time, never inherited; several
 *   pieces of one known blob in a frame (someone standing in front of its middle) are that one
 *   blob, never a new one;
 * - occlusion: a confirmed pixel that something moving covers remembers its state; when it is
 *   still again within `blobMemorySeconds` and looks as it did (within T), it is the same object:
 *   confirmed at once, with its old appearance time (no new `confirmSeconds`, no new start). A
 *   glimpse of the old background in between means the object went: it starts afresh;
 * - ghost suppression: a new blob whose outline edges are in the old background but not in the
 *   frame (score < `minEdgeEvidence`) is uncovered background: the slow background takes the
 *   frame there, and nothing is reported;
 * - a global change (more than `maxStaticFraction` static after the brightness correction)
 *   relearns the slow background instead of reporting one huge blob.
 */
export class StaticObjectDetector {
  private fast: Float32Array | undefined;
  private slow: Float32Array | undefined;
  private staticSince: Float64Array | undefined;
  private diffSince: Float64Array | undefined;
  /** Per pixel, what a confirmed static pixel looked like, and its state when something passed in front of it. */
  private held: HeldPixels | undefined;
  /**
   * Per pixel, the slow background an absorption replaced (NaN: none). When a component is absorbed
   * as uncovered background but was in fact part of an object (a plain face of a box has no edges of
   * its own), the object's pixels become the background; when the object goes, the ground it
   * uncovers differs from that background and would read as a new object forever (a "ghost" after
   * a pick-up). Ground that matches what an absorption replaced is the old background coming back.
   */
  private underlay: Float32Array | undefined;
  private lastTime: number | undefined;
  private initStart: number | undefined;
  private initSamples: Float32Array[] = [];
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
    const dt = this.lastTime === undefined ? 0 : (now - this.lastTime) / 1000;
    this.lastTime = now;
    if (!this.fast) this.fast = Float32Array.from(grey);
    else {
      const a = blendWeight(dt, this.config.fastTauSeconds);
      const fast = this.fast;
      // the fast update happens after the static test below once initialised; during init here
      if (!this.slow) for (let i = 0; i < n; i++) fast[i] = (fast[i] as number) + a * ((grey[i] as number) - (fast[i] as number));
    }
    if (!this.slow) {
      this.initialise(grey, now);
      this.current = [];
      return this.current;
    }
    return this.step(grey, now, dt);
  }

  /** Collect samples (at most one per initSeconds / 10) and take their median once initSeconds passed. */
  private initialise(grey: Float32Array, now: number): void {
    const { initSeconds } = this.config;
    if (this.initStart === undefined) this.initStart = now;
    const elapsed = (now - this.initStart) / 1000;
    const slot = initSeconds > 0 ? Math.floor((elapsed / initSeconds) * 10) : 0;
    if (this.initSamples.length <= slot) this.initSamples.push(Float32Array.from(grey));
    if (elapsed < initSeconds) return;
    const n = grey.length;
    const k = this.initSamples.length;
    const slow = new Float32Array(n);
    const col = new Float32Array(k);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) col[j] = (this.initSamples[j] as Float32Array)[i] as number;
      col.sort();
      slow[i] = k % 2 ? (col[(k - 1) / 2] as number) : ((col[k / 2 - 1] as number) + (col[k / 2] as number)) / 2;
    }
    this.slow = slow;
    this.fast = Float32Array.from(grey);
    this.staticSince = new Float64Array(n).fill(Number.NaN);
    this.diffSince = new Float64Array(n).fill(Number.NaN);
    this.held = newHeld(n);
    this.underlay = new Float32Array(n).fill(Number.NaN);
    this.initSamples = [];
  }

  private step(grey: Float32Array, now: number, dt: number): readonly StaticBlob[] {
    const n = this.width * this.height;
    const { fastTauSeconds, slowTauSeconds, absorbTauSeconds, pixelThreshold: T } = this.config;
    const confirmMs = this.config.confirmSeconds * 1000;
    const aFast = blendWeight(dt, fastTauSeconds);
    const aSlow = blendWeight(dt, slowTauSeconds);
    const aAbsorb = blendWeight(dt, absorbTauSeconds);
    const fast = this.fast as Float32Array;
    const slow = this.slow as Float32Array;
    const staticSince = this.staticSince as Float64Array;
    const diffSince = this.diffSince as Float64Array;
    const held = this.held as HeldPixels;
    const underlay = this.underlay as Float32Array;
    const holdMs = this.config.blobMemorySeconds * 1000;
    // Global brightness shift (cloud, auto-exposure): the median of grey - slow over every 7th pixel.
    const sample: number[] = [];
    for (let i = 0; i < n; i += 7) sample.push((grey[i] as number) - (slow[i] as number));
    sample.sort((a, b) => a - b);
    const shift = sample[sample.length >> 1] ?? 0;
    // Applied to both backgrounds: a cloud is no motion (a fast background left behind would read
    // every pixel as "moving" for seconds, dropping every blob's confirmation at once).
    if (Math.abs(shift) > T / 4) {
      for (let i = 0; i < n; i++) {
        slow[i] = (slow[i] as number) + shift;
        fast[i] = (fast[i] as number) + shift;
        held.value[i] = (held.value[i] as number) + shift;
        underlay[i] = (underlay[i] as number) + shift;
      }
    }
    const mask = new Uint8Array(n);
    let staticCount = 0;
    for (let i = 0; i < n; i++) {
      const g = grey[i] as number;
      const f = fast[i] as number;
      const s = slow[i] as number;
      const moving = Math.abs(g - f) > T;
      const differs = Math.abs(g - s) > T;
      if (differs) {
        if (Number.isNaN(diffSince[i])) diffSince[i] = now;
      } else {
        diffSince[i] = Number.NaN;
        held.lostAt[i] = Number.NaN; // the old background shows: whatever stood here is gone
      }
      const isStatic = !moving && differs;
      fast[i] = f + aFast * (g - f);
      if (isStatic) {
        if (Number.isNaN(staticSince[i])) {
          // Still again after something passed in front: the same object (it looks as it did) keeps
          // its confirmation and appearance time; anything else starts afresh.
          const lostAt = held.lostAt[i] as number;
          if (now - lostAt <= holdMs && Math.abs(g - (held.value[i] as number)) <= T) {
            staticSince[i] = held.staticSince[i] as number;
            diffSince[i] = held.diffSince[i] as number;
          } else staticSince[i] = now;
          held.lostAt[i] = Number.NaN;
        }
        if (now - (staticSince[i] as number) >= confirmMs) {
          mask[i] = 1;
          held.value[i] = g;
        }
        staticCount++;
        slow[i] = s + aAbsorb * (g - s);
      } else {
        if (moving && now - (staticSince[i] as number) >= confirmMs) {
          // a confirmed pixel covered by something moving (a passer-by, a passing car): remember it
          held.lostAt[i] = now;
          held.staticSince[i] = staticSince[i] as number;
          held.diffSince[i] = diffSince[i] as number;
        }
        staticSince[i] = Number.NaN;
        if (!moving) slow[i] = s + aSlow * (g - s);
      }
    }
    if (staticCount > this.config.maxStaticFraction * n) {
      // Camera moved or the scene changed beyond a brightness shift: relearn instead of reporting it.
      slow.set(fast);
      staticSince.fill(Number.NaN);
      diffSince.fill(Number.NaN);
      held.lostAt.fill(Number.NaN);
      this.known = [];
      this.current = [];
      return this.current;
    }
    this.current = this.label(mask, grey, now);
    return this.current;
  }

  /** Gradient magnitude (|dx| + |dy|, central differences) of `img` at pixel `p`. */
  private gradient(img: Float32Array, p: number): number {
    const W = this.width;
    const x = p % W;
    const y = (p - x) / W;
    const at = (xx: number, yy: number): number => img[Math.min(this.height - 1, Math.max(0, yy)) * W + Math.min(W - 1, Math.max(0, xx))] as number;
    return Math.abs(at(x + 1, y) - at(x - 1, y)) + Math.abs(at(x, y + 1) - at(x, y - 1));
  }

  /** Edge evidence (see StaticBlob.score) along the outline of a component's pixels. */
  private edgeEvidence(pixels: Int32Array, member: Uint8Array, grey: Float32Array): number {
    const W = this.width;
    const slow = this.slow as Float32Array;
    let cur = 0;
    let bg = 0;
    for (const p of pixels) {
      const x = p % W;
      const onOutline = x === 0 || x === W - 1 || !member[p - 1] || !member[p + 1] || !member[p - W] || !member[p + W];
      if (!onOutline) continue;
      cur += this.gradient(grey, p);
      bg += this.gradient(slow, p);
    }
    return cur + bg === 0 ? 0.5 : cur / (cur + bg);
  }

  /**
   * Correlation (Pearson, -1..1) of the frame with the slow background over a component's pixels:
   * near 1 when the same surface is there under another light (a cloud's edge, a highlight that
   * clipped), low for an object that replaced what was there. 0 when either is flat.
   */
  private sameTexture(pixels: Int32Array, grey: Float32Array): number {
    const slow = this.slow as Float32Array;
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

  private scoreOf(pixels: Int32Array, member: Uint8Array, grey: Float32Array): number {
    for (const p of pixels) member[p] = 1;
    const score = this.edgeEvidence(pixels, member, grey);
    for (const p of pixels) member[p] = 0;
    return score;
  }

  private label(mask: Uint8Array, grey: Float32Array, now: number): StaticBlob[] {
    const { width: W, height: H } = this;
    const cfg = this.config;
    const minArea = Math.max(1, Math.round(cfg.minBlobArea * W * H));
    const diffSince = this.diffSince as Float64Array;
    const tolMs = cfg.sameObjectSeconds * 1000;
    const { grown, times } = this.dilateByTime(mask, diffSince, tolMs);
    const comps = connectedComponents(grown, W, H, minArea, (p, q) => Math.abs((times[p] as number) - (times[q] as number)) <= tolMs);
    const memoryMs = cfg.blobMemorySeconds * 1000;
    const previous = this.known.filter((k) => now - k.lastSeen <= memoryMs);
    /** This frame's pieces of each blob: a known blob seen in several pieces (someone in front of it) is still one blob. */
    const pieces = new Map<KnownBlob, { bbox: BBox; area: number; score: number }[]>();
    const member = new Uint8Array(W * H);
    const add = (k: KnownBlob, bbox: BBox, area: number, score: number): void => {
      const list = pieces.get(k) ?? [];
      list.push({ bbox, area, score });
      pieces.set(k, list);
    };
    const later: { c: (typeof comps)[number]; bbox: BBox; since: number }[] = [];
    for (const c of comps) {
      // The box is the confirmed pixels', not the dilation's: the dilation joins fragments, and
      // counted in the box it would move every blob's ground point a cell down (an object set down
      // at a zone's lower edge read as outside it).
      const bbox = boxOfConfirmed(c.pixels, mask, W, H);
      if (bbox === undefined) continue;
      // Appearance time: the median time at which its pixels began to differ from the slow background.
      const sinceOf = Array.from(c.pixels, (p) => times[p] as number).sort((a, b) => a - b);
      const since = sinceOf[sinceOf.length >> 1] ?? now;
      // Same appearance time and overlapping: one object (a fragment grown whole, or a piece of it,
      // counts too). The blob seen most recently wins: an id remembered from a fragment long merged
      // never comes back.
      let best: KnownBlob | undefined;
      let bestKey = [-Infinity, cfg.blobMatchIou];
      for (const k of previous) {
        if (Math.abs(k.since - since) > tolMs) continue;
        const overlap = intersection(k.bbox, bbox);
        const v = Math.max(iou(k.bbox, bbox), overlap / Math.max(1e-9, Math.min(k.bbox.w * k.bbox.h, bbox.w * bbox.h)));
        if (v < cfg.blobMatchIou) continue;
        if (k.lastSeen > (bestKey[0] as number) || (k.lastSeen === bestKey[0] && v > (bestKey[1] as number))) {
          bestKey = [k.lastSeen, v];
          best = k;
        }
      }
      // A piece that appeared with a known blob and touches it is part of it (the rest of a box
      // confirmed a frame later): never judged alone as uncovered background.
      best ??= previous.find((k) => Math.abs(k.since - since) <= tolMs && intersection(grow(k.bbox, 2 / W, 2 / H), bbox) > 0);
      if (best) add(best, bbox, c.area, this.scoreOf(c.pixels, member, grey));
      else later.push({ c, bbox, since });
    }
    for (const { c, bbox, since } of later) {
      // Mostly inside a blob seen in this frame: pixels of that object whose history was lost while
      // something passed in front of it (the passer-by matched the old background there for a moment)
      // and came back as "new". They are that object, not a second one.
      const inside = [...pieces.keys()].find((k) => intersection(k.bbox, bbox) >= 0.5 * bbox.w * bbox.h);
      const score = this.scoreOf(c.pixels, member, grey);
      if (inside) {
        add(inside, bbox, c.area, score);
        continue;
      }
      if (this.revealsUnderlay(c.pixels, grey)) {
        this.absorb(c.pixels, grey, true);
        continue;
      }
      if (score < cfg.minEdgeEvidence || this.sameTexture(c.pixels, grey) > cfg.maxTextureCorrelation) {
        this.absorb(c.pixels, grey);
        continue;
      }
      const k: KnownBlob = { id: `s${this.nextId++}`, bbox, since, score, lastSeen: now };
      previous.push(k);
      add(k, bbox, c.area, score);
    }
    const reported: StaticBlob[] = [];
    for (const [k, ps] of pieces) {
      const area = ps.reduce((a, p) => a + p.area, 0);
      k.bbox = unionOf(ps.map((p) => p.bbox));
      k.lastSeen = now;
      k.score = ps.reduce((a, p) => a + p.score * p.area, 0) / Math.max(1, area);
      reported.push({ id: k.id, bbox: k.bbox, area: area / (W * H), since: new Date(k.since), ageSeconds: (now - k.since) / 1000, score: k.score });
    }
    // Blobs not seen this frame are remembered for blobMemorySeconds (an occlusion, a shadow).
    this.known = previous;
    return reported;
  }

  /**
   * 3x3 dilation that closes one-pixel gaps in a fragmented object but never bridges two objects:
   * a pixel is added only when its confirmed neighbours appeared within `tolMs` of each other,
   * and it takes their earliest appearance time.
   */
  private dilateByTime(mask: Uint8Array, diffSince: Float64Array, tolMs: number): { grown: Uint8Array; times: Float64Array } {
    const { width: W, height: H } = this;
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

  /**
   * Most of the component is ground that an earlier absorption covered up: at least half its pixels
   * have an underlay, and at least 70% of those are within the pixel threshold of it.
   */
  private revealsUnderlay(pixels: Int32Array, grey: Float32Array): boolean {
    const underlay = this.underlay as Float32Array;
    const T = this.config.pixelThreshold;
    let known = 0;
    let same = 0;
    for (const p of pixels) {
      const u = underlay[p] as number;
      if (Number.isNaN(u)) continue;
      known++;
      if (Math.abs((grey[p] as number) - u) <= T) same++;
    }
    return known >= 0.5 * pixels.length && same >= 0.7 * known;
  }

  /**
   * Uncovered background (a ghost): the slow background takes the frame's pixels around it. What it
   * replaces is kept as the underlay, unless this is the underlay coming back (`revealed`).
   */
  private absorb(pixels: Int32Array, grey: Float32Array, revealed = false): void {
    const underlay = this.underlay as Float32Array;
    const slow = this.slow as Float32Array;
    const staticSince = this.staticSince as Float64Array;
    const diffSince = this.diffSince as Float64Array;
    const W = this.width;
    const H = this.height;
    for (const p of pixels) {
      const x = p % W;
      const y = (p - x) / W;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= W || yy >= H) continue;
          const q = yy * W + xx;
          // the first absorption's background is what lies under all later ones
          if (revealed) underlay[q] = Number.NaN;
          else if (Number.isNaN(underlay[q])) underlay[q] = slow[q] as number;
          slow[q] = grey[q] as number;
          staticSince[q] = Number.NaN;
          diffSince[q] = Number.NaN;
          if (this.held) this.held.lostAt[q] = Number.NaN;
        }
      }
    }
  }

  reset(): void {
    this.fast = undefined;
    this.slow = undefined;
    this.staticSince = undefined;
    this.diffSince = undefined;
    this.held = undefined;
    this.underlay = undefined;
    this.lastTime = undefined;
    this.initStart = undefined;
    this.initSamples = [];
    this.known = [];
    this.current = [];
  }
}

function unionOf(boxes: readonly BBox[]): BBox {
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

/** Occlusion memory per pixel (see StaticObjectDetector.step). */
interface HeldPixels {
  /** grey value while last confirmed static (shifted with global brightness changes) */
  readonly value: Float32Array;
  /** when a confirmed pixel was covered by something moving (NaN: not held) */
  readonly lostAt: Float64Array;
  readonly staticSince: Float64Array;
  readonly diffSince: Float64Array;
}

function newHeld(n: number): HeldPixels {
  return { value: new Float32Array(n), lostAt: new Float64Array(n).fill(Number.NaN), staticSince: new Float64Array(n), diffSince: new Float64Array(n) };
}

function grow(b: BBox, dx: number, dy: number): BBox {
  return { x: b.x - dx, y: b.y - dy, w: b.w + 2 * dx, h: b.h + 2 * dy };
}

/** Bounding box (normalized) of the component's pixels that are set in `mask`; undefined when none is. */
function boxOfConfirmed(pixels: Int32Array, mask: Uint8Array, W: number, H: number): BBox | undefined {
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
