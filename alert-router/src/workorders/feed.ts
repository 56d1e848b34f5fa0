import { randomBytes } from 'node:crypto';
import type { Logger } from '@streetwatch/platform';
import type { WorkOrderEvent } from '@streetwatch/schemas';
import type { ConsoleFeed } from '../seams.js';
import type { User, WorkOrderSummary } from './model.js';

/** One message on the console stream: the event and the work order as it is after it. */
export interface StreamMessage {
  /** `<epoch>-<seq>`: the SSE id; a reconnect sends it back as Last-Event-ID. */
  readonly id: string;
  readonly seq: number;
  readonly departmentId: string;
  readonly event: WorkOrderEvent;
  readonly order: WorkOrderSummary;
}

export interface Subscriber {
  readonly user: User;
  send(m: StreamMessage): void;
  end(): void;
}

const RING = 1000;
const SEEN = 5000;

/**
 * The live push behind `GET /api/stream` (the seam's ConsoleFeed). Messages go, in publish order,
 * to the subscribers that may see the department (its own users, and supervisors). The last
 * RING messages are kept so a reconnect with Last-Event-ID replays what it missed; an id from
 * another process (epoch) or older than the ring gets a fresh snapshot instead. Events are deduped
 * by eventId, so the delivery half may publish the same event the service already published.
 */
export class ConsoleHub implements ConsoleFeed {
  readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly ring: StreamMessage[] = [];
  private readonly seen = new Set<string>();
  private readonly subscribers = new Set<Subscriber>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { log: Logger; load: (workOrderId: string) => Promise<WorkOrderSummary | null> }) {}

  /** The seam: an event from elsewhere; the work order is read from PostgreSQL. */
  publish(departmentId: string, event: WorkOrderEvent): void {
    this.enqueue(async () => {
      const order = await this.deps.load(event.workOrderId);
      if (order) this.emit(departmentId, event, order);
    });
  }

  /** From the service, after COMMIT, with the row it just wrote. */
  publishResolved(departmentId: string, event: WorkOrderEvent, order: WorkOrderSummary): void {
    this.enqueue(async () => this.emit(departmentId, event, order));
  }

  /** Resolves when everything published so far has been sent (tests). */
  idle(): Promise<void> {
    return this.chain;
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** The id a snapshot taken now corresponds to. */
  get lastId(): string {
    return `${this.epoch}-${this.seq}`;
  }

  /** Messages after `lastEventId` this user may see, or null when a snapshot is needed instead. */
  replaySince(lastEventId: string, user: User): StreamMessage[] | null {
    const m = /^([0-9a-f]+)-(\d+)$/.exec(lastEventId);
    if (!m || m[1] !== this.epoch) return null;
    const after = Number(m[2]);
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (after > this.seq || after < oldest - 1) return null;
    return this.ring.filter((x) => x.seq > after && maySee(user, x.departmentId));
  }

  closeAll(): void {
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err) => this.deps.log.warn({ err }, 'console feed publish failed'));
  }

  private emit(departmentId: string, event: WorkOrderEvent, order: WorkOrderSummary): void {
    if (this.seen.has(event.eventId)) return;
    this.seen.add(event.eventId);
    if (this.seen.size > SEEN) this.seen.delete(this.seen.values().next().value as string);
    const seq = ++this.seq;
    const msg: StreamMessage = { id: `${this.epoch}-${seq}`, seq, departmentId, event, order };
    this.ring.push(msg);
    if (this.ring.length > RING) this.ring.shift();
    for (const s of this.subscribers) {
      if (!maySee(s.user, departmentId)) continue;
      try {
        s.send(msg);
      } catch (err) {
        this.deps.log.debug({ err }, 'console subscriber gone');
        this.subscribers.delete(s);
      }
    }
  }
}

/** A department's users see its work orders; supervisors see every department's. */
export function maySee(user: User, departmentId: string): boolean {
  return user.role === 'supervisor' || user.departmentId === departmentId;
}
