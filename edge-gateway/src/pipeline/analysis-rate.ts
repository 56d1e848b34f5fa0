/**
 * How much of what a camera asked of the detector it got, over a sliding window: the frames the
 * motion gate sent to the detector ("wanted") and those it ran on ("analysed"; the others were
 * dropped by the shared queue's fair share, or lost to a detector thread restart). A ratio under
 * 1 means the box is overloaded and this camera is analysed at a lower rate than configured.
 */
export interface AnalysisRate {
  /** Detector runs per second over the window. */
  analysedFps: number;
  /** Frames sent to the detector per second over the window. */
  wantedFps: number;
  /** analysed / wanted over the window (1 when nothing was wanted). */
  ratio: number;
}

export class AnalysisWindow {
  /** Times (ms) of wanted frames and whether each ran, oldest first. */
  private readonly times: number[] = [];
  private readonly ran: boolean[] = [];
  private analysed = 0;

  constructor(private readonly windowMs = 60_000) {}

  record(nowMs: number, ran: boolean): void {
    this.times.push(nowMs);
    this.ran.push(ran);
    if (ran) this.analysed++;
    this.prune(nowMs);
  }

  rate(nowMs: number): AnalysisRate {
    this.prune(nowMs);
    const wanted = this.times.length;
    const first = this.times[0];
    // the window is what has been seen of it so far (a camera that just started has less)
    const spanS = first === undefined ? this.windowMs / 1000 : Math.max(1, Math.min(this.windowMs, nowMs - first + 1000)) / 1000;
    return {
      analysedFps: Math.round((this.analysed / spanS) * 100) / 100,
      wantedFps: Math.round((wanted / spanS) * 100) / 100,
      ratio: wanted === 0 ? 1 : Math.round((this.analysed / wanted) * 1000) / 1000,
    };
  }

  private prune(nowMs: number): void {
    while (this.times.length > 0 && this.times[0]! <= nowMs - this.windowMs) {
      this.times.shift();
      if (this.ran.shift() === true) this.analysed--;
    }
  }
}
