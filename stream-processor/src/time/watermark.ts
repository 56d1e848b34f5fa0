/**
 * Event-time progress of one input partition. The watermark is the largest event time seen minus
 * the bounded out-of-orderness: the processor assumes nothing older is still on its way. A
 * partition with no message for `idleTimeoutMs` of wall-clock time is idle: the punctuator moves
 * its watermark on as if event time kept running at wall-clock speed, so windows close and timers
 * fire on quiet keys. The watermark never moves back (also across restarts: it is snapshotted).
 */
export interface ClockSnapshot {
  readonly max: number | null;
  readonly wm: number | null;
}

export class PartitionClock {
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private wm = Number.NEGATIVE_INFINITY;
  private lastArrival: number;
  private idle = false;

  constructor(
    private readonly outOfOrdernessMs: number,
    private readonly idleTimeoutMs: number,
    wallNow: number,
    snap?: ClockSnapshot,
  ) {
    this.lastArrival = wallNow;
    if (snap) {
      this.maxEventTime = snap.max ?? Number.NEGATIVE_INFINITY;
      this.wm = snap.wm ?? Number.NEGATIVE_INFINITY;
    }
  }

  get watermark(): number {
    return this.wm;
  }

  /** Never saw an event, or quiet past the idle timeout. */
  get isIdle(): boolean {
    return this.idle || this.maxEventTime === Number.NEGATIVE_INFINITY;
  }

  observe(eventTime: number, wallNow: number): void {
    if (eventTime > this.maxEventTime) {
      this.maxEventTime = eventTime;
      const w = eventTime - this.outOfOrdernessMs;
      if (w > this.wm) this.wm = w;
    }
    this.lastArrival = wallNow;
    this.idle = false;
  }

  /**
   * Count as an arrival without an event: the partition is not quiet, we were just not reading it
   * (a rebalance, or messages still waiting to be fetched). Keeps the idle timeout from firing.
   */
  touch(wallNow: number): void {
    this.lastArrival = wallNow;
    this.idle = false;
  }

  /** Called by the punctuator: returns true when the watermark moved. */
  punctuate(wallNow: number): boolean {
    if (this.idleTimeoutMs <= 0) return false;
    const quiet = wallNow - this.lastArrival;
    if (quiet < this.idleTimeoutMs) return false;
    this.idle = true;
    if (this.maxEventTime === Number.NEGATIVE_INFINITY) return false;
    const w = this.maxEventTime - this.outOfOrdernessMs + quiet;
    if (w <= this.wm) return false;
    this.wm = w;
    return true;
  }

  snapshot(): ClockSnapshot {
    return { max: Number.isFinite(this.maxEventTime) ? this.maxEventTime : null, wm: Number.isFinite(this.wm) ? this.wm : null };
  }
}

/**
 * The watermark of state fed by several partitions: the slowest active one. Idle inputs do not
 * hold it back; when all are idle it follows the most advanced.
 */
export function combinedWatermark(clocks: readonly PartitionClock[]): number {
  const active = clocks.filter((c) => !c.isIdle);
  if (active.length > 0) return Math.min(...active.map((c) => c.watermark));
  return clocks.reduce((m, c) => Math.max(m, c.watermark), Number.NEGATIVE_INFINITY);
}
