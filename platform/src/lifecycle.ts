import type { Logger } from 'pino';
import { StreetwatchError } from './errors.js';

export interface Closeable {
  readonly name: string;
  close(): Promise<void> | void;
}

/**
 * Components register as they start; shutdown closes them in reverse start order, each under its
 * share of a grace timer, so one that hangs cannot keep the process alive.
 */
export class Lifecycle {
  private readonly items: Closeable[] = [];
  private closing: Promise<Array<{ name: string; error: Error }>> | undefined;

  constructor(private readonly log: Logger) {}

  add(name: string, close: () => Promise<void> | void): void {
    this.items.push({ name, close });
  }

  /** Close everything (idempotent). Resolves with the failures (timeouts included). */
  close(graceMs: number): Promise<Array<{ name: string; error: Error }>> {
    this.closing ??= this.run(graceMs);
    return this.closing;
  }

  private async run(graceMs: number): Promise<Array<{ name: string; error: Error }>> {
    const failures: Array<{ name: string; error: Error }> = [];
    const deadline = Date.now() + graceMs;
    for (const item of [...this.items].reverse()) {
      const left = Math.max(100, deadline - Date.now());
      try {
        await withTimeout(Promise.resolve().then(() => item.close()), left, item.name);
        this.log.info({ component: item.name }, 'closed');
      } catch (e) {
        failures.push({ name: item.name, error: e as Error });
        this.log.error({ component: item.name, err: e }, 'close failed');
      }
    }
    return failures;
  }
}

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StreetwatchError('SW_SHUTDOWN_TIMEOUT', `${what} did not finish within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * For main.ts only: on SIGINT/SIGTERM run `shutdown` once, then exit 0 (or 1 if it failed).
 * A second signal exits at once.
 */
export function onSignals(log: Logger, shutdown: () => Promise<boolean>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    shutdown().then(
      (ok) => process.exit(ok ? 0 : 1),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}
