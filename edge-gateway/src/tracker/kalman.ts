import type { BBox } from '../frame.js';

/**
 * Constant-velocity Kalman filter on a box (cx, cy, w, h), one independent
 * position/velocity filter per coordinate (with diagonal noise the 8-state SORT
 * filter splits exactly into four 2-state filters). Noise scales with box size,
 * as in DeepSORT. Time steps are in seconds (from frame eventTime).
 */
class Axis {
  p: number;
  v = 0;
  // Covariance [[a, b], [b, c]].
  a: number;
  b = 0;
  c: number;

  constructor(z: number, measVar: number, velVar: number) {
    this.p = z;
    this.a = measVar;
    this.c = velVar;
  }

  predict(dt: number, accelVar: number, freezeVelocity: boolean): void {
    if (dt <= 0) return;
    const v = freezeVelocity ? 0 : this.v;
    this.p += v * dt;
    const { a, b, c } = this;
    // F P F^T with F = [[1, dt], [0, 1]], plus white-noise-acceleration Q.
    const dt2 = dt * dt;
    this.a = a + 2 * dt * b + dt2 * c + (accelVar * dt2 * dt2) / 4;
    this.b = b + dt * c + (accelVar * dt2 * dt) / 2;
    this.c = c + accelVar * dt2;
  }

  update(z: number, measVar: number): void {
    const s = this.a + measVar;
    const k0 = this.a / s;
    const k1 = this.b / s;
    const y = z - this.p;
    this.p += k0 * y;
    this.v += k1 * y;
    const { a, b, c } = this;
    this.a = (1 - k0) * a;
    this.b = (1 - k0) * b;
    this.c = c - k1 * b;
  }
}

export interface KalmanNoise {
  /** Measurement std as a share of box size. */
  readonly measurement: number;
  /** Acceleration std, box sizes per second squared. */
  readonly acceleration: number;
  /** Initial velocity std, box sizes per second. */
  readonly initialVelocity: number;
}

export class BoxKalman {
  private readonly axes: [Axis, Axis, Axis, Axis];

  constructor(
    box: BBox,
    private readonly noise: KalmanNoise,
  ) {
    const z = measure(box);
    this.axes = [0, 1, 2, 3].map((i) => {
      const size = i % 2 === 0 ? box.w : box.h;
      return new Axis(z[i] as number, (noise.measurement * size) ** 2, (noise.initialVelocity * size) ** 2);
    }) as [Axis, Axis, Axis, Axis];
  }

  /** Advance `dt` seconds. A stationary object is predicted without drift. */
  predict(dt: number, stationary = false): void {
    const [cx, cy, w, h] = this.axes;
    const sw = Math.max(w.p, 1e-3);
    const sh = Math.max(h.p, 1e-3);
    cx.predict(dt, (this.noise.acceleration * sw) ** 2, stationary);
    cy.predict(dt, (this.noise.acceleration * sh) ** 2, stationary);
    w.predict(dt, (this.noise.acceleration * sw) ** 2, true);
    h.predict(dt, (this.noise.acceleration * sh) ** 2, true);
  }

  update(box: BBox): void {
    const z = measure(box);
    this.axes.forEach((axis, i) => {
      const size = i % 2 === 0 ? box.w : box.h;
      axis.update(z[i] as number, (this.noise.measurement * size) ** 2);
    });
  }

  get box(): BBox {
    const [cx, cy, w, h] = this.axes;
    const bw = Math.max(w.p, 1e-4);
    const bh = Math.max(h.p, 1e-4);
    return { x: cx.p - bw / 2, y: cy.p - bh / 2, w: bw, h: bh };
  }

  /** Centre velocity in normalized units per second. */
  get velocity(): { x: number; y: number } {
    return { x: this.axes[0].v, y: this.axes[1].v };
  }
}

function measure(b: BBox): [number, number, number, number] {
  return [b.x + b.w / 2, b.y + b.h / 2, b.w, b.h];
}
