/**
 * In-house channels: the department queue on Kafka (`streetwatch.dept.<id>.v1`, one
 * DepartmentNotice per alert, noticeId derived from our key so consumers can drop repeats) and the
 * department console (live push through the work-order half's ConsoleFeed).
 */
import { createHash } from 'node:crypto';
import { departmentTopic, type DepartmentNotice, type WorkOrderEvent } from '@streetwatch/schemas';
import { ChannelError } from '../delivery/errors.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';

const short = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 32);

export class KafkaDept implements Channel {
  readonly type = 'kafka-dept';
  constructor(
    readonly name: string,
    private readonly deps: ChannelDeps,
  ) {}

  async send(msg: Notification, key: string): Promise<SendResult> {
    const producer = this.deps.producer;
    if (!producer) throw new ChannelError('SW_ROUTER_CHANNEL_UNAVAILABLE', 'no Kafka producer', { retryable: false });
    const at = new Date().toISOString();
    const notices: DepartmentNotice[] = msg.items.map(({ alert, workOrderId }) => ({
      schemaVersion: 1,
      noticeId: `notice-${short(`${key}|${alert.alertId}`)}`,
      departmentId: msg.departmentId,
      // Without the work-order half, the notice names the alert's would-be order deterministically.
      workOrderId: workOrderId ?? `pending:${alert.alertId}`,
      alert,
      at,
    }));
    try {
      const meta = await producer.send(departmentTopic(msg.departmentId), notices);
      return { providerMessageId: meta.map((m) => `${m.partition}@${m.baseOffset ?? ''}`).join(',') };
    } catch (cause) {
      const invalid = (cause as { code?: string }).code === 'SW_CONTRACT_INVALID';
      throw new ChannelError(invalid ? 'SW_ROUTER_PROVIDER_REJECTED' : 'SW_ROUTER_PROVIDER_UNAVAILABLE', `Kafka: ${(cause as Error).message}`, {
        retryable: !invalid,
        cause,
      });
    }
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
