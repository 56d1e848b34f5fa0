/**
 * In-house channels: the department queue on Kafka (`streetwatch.dept.<id>.v1`, one
 * DepartmentNotice per alert, noticeId derived from our key so consumers can drop repeats) and the
 * department console (live push through the work-order half's ConsoleFeed).
 */
import { createHash } from 'node:crypto';
import { departmentTopic, type DepartmentNotice, type WorkOrderEvent } from '@streetwatch/schemas';
import type { Message } from 'kafkajs';
import { ChannelError } from './errors.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

interface Pending {
  readonly departmentId: string;
  readonly messages: Message[];
  readonly resolve: (r: SendResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Sends are coalesced per event-loop turn into one produce request per department topic: the
 * platform producer is idempotent with one request in flight, so one request per notification
 * would serialise every delivery behind a broker round trip.
 */
export class KafkaDept implements Channel {
  readonly type = 'kafka-dept';
  private queue: Pending[] = [];
  private scheduled = false;
  constructor(
    readonly name: string,
    private readonly deps: ChannelDeps,
  ) {}

  send(msg: Notification, key: string): Promise<SendResult> {
    const producer = this.deps.producer;
    if (!producer) return Promise.reject(new ChannelError('SW_ROUTER_CHANNEL_UNAVAILABLE', 'no Kafka producer', { retryable: false }));
    const at = new Date().toISOString();
    let messages: Message[];
    try {
      messages = msg.items.map(({ alert, workOrderId }) => {
        const notice: DepartmentNotice = {
          schemaVersion: 1,
          noticeId: `notice-${short(`${key}|${alert.alertId}`)}`,
          departmentId: msg.departmentId,
          // Without the work-order half, the notice names the alert's would-be order deterministically.
          workOrderId: workOrderId ?? `pending:${alert.alertId}`,
          alert,
          at,
        };
        return producer.encode(departmentTopic(msg.departmentId), notice);
      });
    } catch (cause) {
      return Promise.reject(new ChannelError('SW_ROUTER_PROVIDER_REJECTED', `notice refused by its contract: ${(cause as Error).message}`, { retryable: false, cause }));
    }
    return new Promise<SendResult>((resolve, reject) => {
      this.queue.push({ departmentId: msg.departmentId, messages, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const producer = this.deps.producer;
    if (!producer) return;
    const byDept = new Map<string, Pending[]>();
    for (const p of batch) byDept.set(p.departmentId, [...(byDept.get(p.departmentId) ?? []), p]);
    await Promise.all(
      [...byDept.entries()].map(async ([dept, items]) => {
        try {
          const meta = await producer.sendEncoded(departmentTopic(dept), items.flatMap((i) => i.messages));
          const id = meta.map((m) => `${m.partition}@${m.baseOffset ?? ''}`).join(',');
          for (const i of items) i.resolve({ providerMessageId: id });
        } catch (cause) {
          const e = new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `Kafka: ${(cause as Error).message}`, { retryable: true, cause });
          for (const i of items) i.reject(e);
        }
      }),
    );
  }
}

export class ConsoleChannel implements Channel {
  readonly type = 'console';
  constructor(
    readonly name: string,
    private readonly deps: ChannelDeps,
  ) {}

  async send(msg: Notification, key: string): Promise<SendResult> {
    const feed = this.deps.consoleFeed;
    if (!feed) throw new ChannelError('SW_ROUTER_CHANNEL_UNAVAILABLE', 'no console feed wired', { retryable: false });
    const at = new Date().toISOString();
    for (const { alert, workOrderId } of msg.items) {
      const event: WorkOrderEvent = {
        schemaVersion: 1,
        eventId: `console-${short(`${key}|${alert.alertId}`)}`,
        workOrderId: workOrderId ?? `pending:${alert.alertId}`,
        alertId: alert.alertId,
        departmentId: msg.departmentId,
        action: msg.target === 'department' ? 'dispatched' : 'escalated',
        status: 'dispatched',
        actor: { kind: 'system', id: 'alert-router', role: 'system' },
        note: msg.title.slice(0, 4000),
        at,
      };
      feed.publish(msg.departmentId, event);
    }
    return { providerMessageId: key };
  }
}
