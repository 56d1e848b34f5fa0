import type { Logger, Pool, PoolClient } from '@streetwatch/platform';
import type { WorkOrderEvent } from '@streetwatch/schemas';
import type { ConsoleHub } from './feed.js';

export const CONSOLE_CHANNEL = 'streetwatch_console';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD = 7900;

interface Item {
  readonly d: string;
  readonly e: WorkOrderEvent;
}

/**
 * The console feed across router instances, through PostgreSQL LISTEN/NOTIFY: every instance
 * announces the events it pushes to its own consoles (work-order transitions after COMMIT, console
 * channel notices), and pushes the ones announced by the others to its consoles (the work order is
 * read from PostgreSQL; the hub drops an eventId it already pushed). Best effort, like the feed:
 * an event announced while an instance's listener is reconnecting reaches its consoles at their
 * next snapshot (reconnect or page reload), not live.
 */
export class ConsoleFanout {
  private client: PoolClient | undefined;
  private closed = false;
  private started = false;
  private retryMs = 1000;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private pending: Item[] = [];
  private scheduled = false;
  private sending: Promise<unknown> | undefined;

  constructor(private readonly deps: { pool: Pool; hub: ConsoleHub; log: Logger }) {}

  /** Listen (resolves once listening, or after the first failure: it keeps retrying). */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.connect();
  }

  /**
   * Announce events this instance pushed (after their COMMIT). Never throws. What is announced in
   * one turn of the event loop (a burst of dispatches) goes out in one statement.
   */
  announce(items: ReadonlyArray<{ departmentId: string; event: WorkOrderEvent }>): void {
    if (this.closed || items.length === 0) return;
    for (const x of items) this.pending.push({ d: x.departmentId, e: x.event });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.send());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.send();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sending;
    await this.connecting;
    this.drop();
  }

  private send(): void {
    this.scheduled = false;
    const items = this.pending;
    this.pending = [];
    if (items.length === 0 || this.closed) return;
    this.sending = this.deps.pool
      .query('SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS p', [CONSOLE_CHANNEL, pack(this.deps.hub.epoch, items)])
      .catch((err: unknown) => this.deps.log.warn({ err }, 'console events not announced to other router instances'));
  }

  private connect(): Promise<void> {
    this.connecting = (async () => {
      try {
        const c = await this.deps.pool.connect();
        if (this.closed) {
          c.release();
          return;
        }
        c.on('notification', (n) => {
          if (n.channel === CONSOLE_CHANNEL && n.payload) this.receive(n.payload);
        });
        c.on('error', (err) => {
          this.deps.log.warn({ err }, 'console fan-out listener lost its connection; reconnecting');
          this.drop(err);
          this.retry();
        });
        await c.query(`LISTEN ${CONSOLE_CHANNEL}`);
        this.client = c;
        this.retryMs = 1000;
      } catch (err) {
        this.deps.log.warn({ err }, 'console fan-out listener not connected; retrying');
        this.drop(err);
        this.retry();
      }
    })();
    return this.connecting;
  }

  private retry(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 30_000);
  }

  /** Give the listening connection back destroyed (it carries LISTEN state). */
  private drop(err?: unknown): void {
    const c = this.client;
    this.client = undefined;
    if (c) c.release(err instanceof Error ? err : true);
  }

  private receive(payload: string): void {
    let msg: { o?: string; items?: Item[] };
    try {
      msg = JSON.parse(payload) as typeof msg;
    } catch {
      return;
    }
    if (msg.o === this.deps.hub.epoch || !Array.isArray(msg.items)) return;
    for (const it of msg.items) if (typeof it?.d === 'string' && it.e?.eventId) this.deps.hub.publish(it.d, it.e);
  }
}

/** Items → NOTIFY payloads under the size limit; an oversized note is shortened (the console reads details from the API). */
export function pack(origin: string, items: readonly Item[]): string[] {
  const out: string[] = [];
  let batch: Item[] = [];
  const encode = (b: Item[]): string => JSON.stringify({ o: origin, items: b });
  for (const raw of items) {
    let it = raw;
    if (Buffer.byteLength(encode([it])) > MAX_PAYLOAD) it = { d: raw.d, e: { ...raw.e, note: `${(raw.e.note ?? '').slice(0, 400)}…` } };
    if (batch.length && Buffer.byteLength(encode([...batch, it])) > MAX_PAYLOAD) {
      out.push(encode(batch));
      batch = [];
    }
    batch.push(it);
  }
  if (batch.length) out.push(encode(batch));
  return out;
}
