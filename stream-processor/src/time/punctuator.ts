import type { Logger } from '@streetwatch/platform';
import type { Clock } from './clock.js';

/**
 * A wall-clock tick that lets event time move on partitions that have gone quiet: every
 * `intervalMs` it runs `tick` (advance idle watermarks, fire timers, checkpoint). Ticks never
 * overlap; a slow tick skips the next.
 */
export class Punctuator {
  private handle: { cancel(): void } | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly deps: { clock: Clock; log: Logger; tick: () => Promise<void> },
  ) {}

  start(): void {
    if (this.handle) return;
    this.handle = this.deps.clock.every(this.intervalMs, () => {
      if (this.running) return;
      this.running = this.deps
        .tick()
        .catch((err: unknown) => this.deps.log.error({ err }, 'punctuation failed'))
        .finally(() => {
          this.running = undefined;
        });
    });
  }

  /** Stop ticking and wait for a tick in progress. */
  async close(): Promise<void> {
    this.handle?.cancel();
    this.handle = undefined;
    await this.running;
  }
}
