import type { Frame } from '../frame.js';
import type { MotionConfig } from './config.js';
import { blendWeight, downscaleGrey } from './downscale.js';

export type GateReason = 'first' | 'motion' | 'idle' | 'none';

export interface MotionResult {
  /** True when the share of changed pixels reached `minMotionFraction`. */
  readonly motion: boolean;
  /** Share of changed pixels (0-1). */
  readonly fraction: number;
  /** Whether the detector should run on this frame: motion, first frame, or `maxIdleSeconds` since it last ran. */
  readonly runDetector: boolean;
  readonly reason: GateReason;
  /** The downscaled grey frame (valid until the next call): feed it to StaticObjectDetector.update. */
  readonly grey: Float32Array;
}

/**
 * Motion gate for one camera: a downscaled grey frame is compared with the
 * previous frame and with a running-average background; a pixel changed if
 * either difference exceeds `pixelThreshold`. Time is the frames' eventTime.
 */
export class MotionGate {
  private background: Float32Array | undefined;
  private previous: Float32Array | undefined;
  private grey: Float32Array;
  private lastTime: number | undefined;
  private lastRun: number | undefined;

  constructor(private readonly config: MotionConfig) {
    this.grey = new Float32Array(config.width * config.height);
  }

  evaluate(frame: Frame): MotionResult {
    const { width, height, pixelThreshold, minMotionFraction, backgroundTauSeconds, maxIdleSeconds } = this.config;
    const now = frame.eventTime.getTime();
    if (this.lastTime !== undefined && now < this.lastTime) this.reset(); // time went back: a replay restarted
    const grey = downscaleGrey(frame, width, height, this.grey);
    const bg = this.background;
    const prev = this.previous;
    if (!bg || !prev) {
      this.background = Float32Array.from(grey);
      this.previous = Float32Array.from(grey);
      this.lastTime = now;
      this.lastRun = now;
      return { motion: true, fraction: 1, runDetector: true, reason: 'first', grey };
    }
    const a = blendWeight((now - (this.lastTime ?? now)) / 1000, backgroundTauSeconds);
    let changed = 0;
    for (let i = 0; i < grey.length; i++) {
      const g = grey[i] as number;
      const b = bg[i] as number;
      if (Math.abs(g - b) > pixelThreshold || Math.abs(g - (prev[i] as number)) > pixelThreshold) changed++;
      bg[i] = b + a * (g - b);
    }
    prev.set(grey);
    this.lastTime = now;
    const fraction = changed / grey.length;
    const motion = fraction >= minMotionFraction;
    const idle = now - (this.lastRun ?? now) >= maxIdleSeconds * 1000;
    const runDetector = motion || idle;
    if (runDetector) this.lastRun = now;
    return { motion, fraction, runDetector, reason: motion ? 'motion' : idle ? 'idle' : 'none', grey };
  }

  /** Forget the background (e.g. after a stream restart). */
  reset(): void {
    this.background = undefined;
    this.previous = undefined;
    this.lastTime = undefined;
    this.lastRun = undefined;
  }
}
