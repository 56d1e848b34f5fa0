/**
 * Is the camera still looking at what it learned? A camera that is covered, sprayed, defocused or
 * turned away keeps streaming, so the source's watchdog sees nothing wrong. On each analysed
 * frame (the motion gate's downscaled grey image, no extra decode) we measure:
 *
 *  - edge density: mean gradient / mean brightness, as a share of the reference's. Gain-free, so
 *    dusk does not count; a cover or a fogged lens takes the edges away;
 *  - contrast: std / mean brightness, as a share of the reference's (a cover is flat);
 *  - match: correlation of the gradient map with the reference gradient map (gain-free): where the
 *    edges are. A camera turned away has edges, in other places.
 *
 * and classify: covered (no edges, flat), blurred (few edges), moved (edges elsewhere), ok. A
 * wrong view must last `dwellSeconds` to become `tampered` (a bus passing, a person close to the
 * lens do not); a right view for `clearSeconds` restores it. The reference is learned over the
 * first `learnSeconds` and then follows slow change (exponential, `adaptSeconds`) only while the
 * view is right, so a tampered view is never learned.
 */
import type { TamperConfig } from './config.js';

export type ViewState = 'ok' | 'covered' | 'blurred' | 'moved';

export interface ViewMeasure {
  /** Edge density as a share of the reference's (1 = as learned). */
  edgeRatio: number;
  /** Contrast (std/mean) as a share of the reference's. */
  contrastRatio: number;
  /** Correlation of the gradient map with the reference's (-1..1). */
  match: number;
  brightness: number;
  state: ViewState;
}

export type TamperTransition =
  | { kind: 'tampered'; state: Exclude<ViewState, 'ok'>; since: Date; at: Date; measure: ViewMeasure }
  | { kind: 'restored'; at: Date; measure: ViewMeasure };

const EPS_MEAN = 8;

export class TamperDetector {
  private readonly grad: Float32Array;
  private readonly ref: Float32Array;
  private learnedFrames = 0;
  private learnStart: number | undefined;
  private refDensity = 0;
  private refContrast = 0;
  private ready = false;
  private lastT: number | undefined;
  private tampered: Exclude<ViewState, 'ok'> | undefined;
  /** Since when the view has been wrong (while not yet tampered) or right (while tampered). */
  private streakSince: number | undefined;
  private readonly streakStates = new Map<Exclude<ViewState, 'ok'>, number>();
  private last: ViewMeasure | undefined;

  constructor(
    private readonly config: TamperConfig,
    private readonly width: number,
    private readonly height: number,
  ) {
    this.grad = new Float32Array(width * height);
    this.ref = new Float32Array(width * height);
  }

  /** The current tamper state (undefined: the view is as learned, or still learning). */
  get state(): Exclude<ViewState, 'ok'> | undefined {
    return this.tampered;
  }

  get learned(): boolean {
    return this.ready;
  }

  get lastMeasure(): ViewMeasure | undefined {
    return this.last;
  }

  /** Feed one grey frame (width*height, 0-255) at `eventTime`; a transition when the state changes. */
  update(grey: Float32Array, eventTime: Date): TamperTransition | undefined {
    if (!this.config.enabled) return undefined;
    const t = eventTime.getTime();
    const dt = this.lastT === undefined ? 0 : Math.max(0, (t - this.lastT) / 1000);
    this.lastT = t;
    const { mean, std, meanGrad } = this.measure(grey);
    const density = meanGrad / Math.max(mean, EPS_MEAN);
    const contrast = std / Math.max(mean, EPS_MEAN);
    if (!this.ready) {
      this.learn(density, contrast, t);
      return undefined;
    }
    const m: ViewMeasure = {
      edgeRatio: density / this.refDensity,
      contrastRatio: contrast / this.refContrast,
      match: this.correlation(),
      brightness: mean,
      state: 'ok',
    };
    const c = this.config;
    if (m.edgeRatio < c.coverEdgeRatio && m.contrastRatio < c.coverContrastRatio) m.state = 'covered';
    else if (m.edgeRatio < c.blurEdgeRatio) m.state = 'blurred';
    else if (m.match < c.moveMatch) m.state = 'moved';
    this.last = m;
    return this.step(m, t, dt, density, contrast);
  }

  private step(m: ViewMeasure, t: number, dt: number, density: number, contrast: number): TamperTransition | undefined {
    const wrong = m.state !== 'ok';
    if (this.tampered === undefined) {
      if (!wrong) {
        this.streakSince = undefined;
        this.streakStates.clear();
        this.adapt(dt, density, contrast);
        return undefined;
      }
      this.streakSince ??= t;
      const s = m.state as Exclude<ViewState, 'ok'>;
      this.streakStates.set(s, (this.streakStates.get(s) ?? 0) + 1);
      if (t - this.streakSince < this.config.dwellSeconds * 1000) return undefined;
      // the reason: what the view was most often during the dwell
      let state = s;
      for (const [k, n] of this.streakStates) if (n > (this.streakStates.get(state) ?? 0)) state = k;
      const since = new Date(this.streakSince);
      this.tampered = state;
      this.streakSince = undefined;
      this.streakStates.clear();
      return { kind: 'tampered', state, since, at: new Date(t), measure: m };
    }
    if (wrong) {
      this.streakSince = undefined;
      return undefined;
    }
    this.streakSince ??= t;
    if (t - this.streakSince < this.config.clearSeconds * 1000) return undefined;
    this.tampered = undefined;
    this.streakSince = undefined;
    return { kind: 'restored', at: new Date(t), measure: m };
  }

  /** Mean, std and the gradient map (L1 of forward differences) in one pass. */
  private measure(grey: Float32Array): { mean: number; std: number; meanGrad: number } {
    const w = this.width;
    const h = this.height;
    const g = this.grad;
    let sum = 0;
    let sum2 = 0;
    let gsum = 0;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      const below = y + 1 < h ? row + w : row - w;
      for (let x = 0; x < w; x++) {
        const i = row + x;
        const v = grey[i] as number;
        sum += v;
        sum2 += v * v;
        const right = grey[x + 1 < w ? i + 1 : i - 1] as number;
        const down = grey[below + x] as number;
        const d = Math.abs(right - v) + Math.abs(down - v);
        g[i] = d;
        gsum += d;
      }
    }
    const n = w * h;
    const mean = sum / n;
    return { mean, std: Math.sqrt(Math.max(0, sum2 / n - mean * mean)), meanGrad: gsum / n };
  }

  /** Pearson correlation of the gradient map with the reference's. */
  private correlation(): number {
    const g = this.grad;
    const r = this.ref;
    const n = g.length;
    let sg = 0;
    let sr = 0;
    let sgg = 0;
    let srr = 0;
    let sgr = 0;
    for (let i = 0; i < n; i++) {
      const a = g[i] as number;
      const b = r[i] as number;
      sg += a;
      sr += b;
      sgg += a * a;
      srr += b * b;
      sgr += a * b;
    }
    const cov = sgr - (sg * sr) / n;
    const vg = sgg - (sg * sg) / n;
    const vr = srr - (sr * sr) / n;
    return vg <= 0 || vr <= 0 ? 0 : cov / Math.sqrt(vg * vr);
  }

  private learn(density: number, contrast: number, t: number): void {
    this.learnStart ??= t;
    const k = this.learnedFrames;
    const g = this.grad;
    const r = this.ref;
    for (let i = 0; i < r.length; i++) r[i] = ((r[i] as number) * k + (g[i] as number)) / (k + 1);
    this.refDensity = (this.refDensity * k + density) / (k + 1);
    this.refContrast = (this.refContrast * k + contrast) / (k + 1);
    this.learnedFrames++;
    if (t - this.learnStart >= this.config.learnSeconds * 1000 && this.learnedFrames >= 3 && this.refDensity > 0 && this.refContrast > 0) this.ready = true;
  }

  private adapt(dt: number, density: number, contrast: number): void {
    if (dt <= 0) return;
    const a = 1 - Math.exp(-dt / this.config.adaptSeconds);
    const g = this.grad;
    const r = this.ref;
    for (let i = 0; i < r.length; i++) r[i] = (r[i] as number) + a * ((g[i] as number) - (r[i] as number));
    this.refDensity += a * (density - this.refDensity);
    this.refContrast += a * (contrast - this.refContrast);
  }
}
