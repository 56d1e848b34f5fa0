/**
 * The waits of the two loops that drain the outbox (the publisher's records to Kafka, the
 * uploader's pictures to the object store): an idle wait that new work ends, and a back-off that
 * only shutdown ends (the far end is failing; more work is no reason to call it sooner).
 */
export class WakeableSleep {
  private wake: ((byAppend: boolean) => void) | undefined;
  private stopped = false;

  /** Wait `ms`, or less: stop() always ends it; an append ends it only when `byAppend`. After stop(), returns at once. */
  sleep(ms: number, byAppend: boolean): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = (viaAppend) => {
        if (!viaAppend || byAppend) done();
      };
    });
  }

  /** Something was appended (or a flush wants the loop to look now): ends an idle wait. */
  appended(): void {
    this.wake?.(true);
  }

  /** Ends the current wait, whatever kind, and every later one before it starts. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.wake?.(false);
  }
}

/** A queue depth for a log line or a result: -1 once the outbox is closed (reading it throws then). */
export function depthOrClosed(read: () => number): number {
  try {
    return read();
  } catch {
    return -1;
  }
}
