/**
 * The delivery half's side of the seam: the work-order half's escalation asks to tell a target
 * (department, on-duty, head, next level) about a work order; we record one intent per channel of
 * that target (idempotent on the caller's key) and deliver them like any other notification.
 * Resolves once the intents are durable, not when they are sent.
 */
import type { Pool } from '@streetwatch/platform';
import { renderNotification } from '../channels/render.js';
import type { RouterConfig } from '../config/schema.js';
import type { Notifier } from '../seams.js';
import type { Clock } from '@streetwatch/platform';
import { deliveryKey, type DeliveryStore, type NewDelivery } from './store.js';
import { ChannelError } from '../channels/errors.js';

export class DeliveryNotifier implements Notifier {
  constructor(
    private readonly cfg: Pick<RouterConfig, 'departments' | 'channels'>,
    private readonly deps: { pool: Pool; store: DeliveryStore; clock: Clock; onIntents: () => void },
  ) {}

  async notify(req: Parameters<Notifier['notify']>[0]): Promise<void> {
    const dept = this.cfg.departments[req.departmentId];
    if (!dept) throw new ChannelError('SW_ROUTER_CONFIG_REFERENCE', `unknown department ${req.departmentId}`, { retryable: false });
    const target = req.target === 'department' ? undefined : dept.targets?.[req.target];
    const channels = target?.channels ?? dept.channels;
    const phones = target?.phones ?? dept.phones ?? [];
    const now = this.deps.clock.now();
    // One notification for every channel of this notice (each delivery adds its own ref line when sent).
    const notificationKey = deliveryKey('notify', req.key);
    const message = renderNotification({
      departmentId: req.departmentId,
      departmentName: dept.name,
      target: req.target,
      items: [{ alert: req.alert, workOrderId: req.workOrderId }],
      phones,
    });
    const rows: NewDelivery[] = [];
    for (const ch of channels) {
      const chCfg = this.cfg.channels[ch];
      if (!chCfg) continue;
      rows.push({
        key: deliveryKey('notify', req.key, ch),
        notificationKey,
        alertId: req.alert.alertId,
        alertIds: [req.alert.alertId],
        departmentId: req.departmentId,
        workOrderId: req.workOrderId,
        channelName: ch,
        channelType: chCfg.type,
        target: req.target,
        message,
        nextAttemptAt: now,
      });
    }
    const fresh = await this.deps.store.insert(this.deps.pool, rows, now);
    if (fresh.length > 0) this.deps.onIntents();
  }
}
