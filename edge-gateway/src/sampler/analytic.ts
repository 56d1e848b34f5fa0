/**
 * Analytic sampling: which frames the analytics see (fps) at which size, and what time each
 * frame carries. ffmpeg does the work in its filter graph (`fps=` drops/duplicates to a constant
 * rate, `scale=` resizes), so Node only ever receives the frames it will use.
 */

export interface AnalyticSize {
  fps: number;
  width: number;
  height: number;
}

/** ffmpeg -vf value: constant analytic rate first (fewer frames to scale), then the size. */
export function analyticFilter(a: AnalyticSize): string {
  return `fps=${formatFps(a.fps)},scale=${a.width}:${a.height}:flags=bilinear`;
}

/** ffmpeg accepts a rational; 0.5 -> "1/2", 2 -> "2", 2.5 -> "5/2". */
export function formatFps(fps: number): string {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`fps must be > 0, got ${fps}`);
  if (Number.isInteger(fps)) return String(fps);
  const den = 1000;
  const num = Math.round(fps * den);
  const g = gcd(num, den);
  return `${num / g}/${den / g}`;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Event time of a frame.
 *  - live: the wall clock when its last byte arrived (the camera's own clock is not trusted).
 *  - replay: a virtual clock, origin + pts. After `fps=` the n-th output frame has pts n / fps,
 *    so replaying faster than real time still yields the timestamps of real time.
 */
export type FrameClock =
  | { kind: 'live' }
  | { kind: 'virtual'; originMs: number; fps: number };

export function frameTimeMs(clock: FrameClock, frameNumber: number, arrivedAtMs: number): number {
  if (clock.kind === 'live') return arrivedAtMs;
  return clock.originMs + Math.round((frameNumber * 1000) / clock.fps);
}
