/**
 * Generic webhook: JSON POST, body signed `X-Streetwatch-Signature: sha256=<hex HMAC(body)>`,
 * plus `X-Streetwatch-Timestamp` (ms) and `X-Streetwatch-Idempotency-Key` (the same key on every
 * retry, so a receiver can drop repeats; 409 from the receiver counts as already delivered).
 */
import type { Static } from '@sinclair/typebox';
import { ms } from '../config/durations.js';
import type { WebhookChannel } from '../config/schema.js';
import { request, statusError } from './http.js';
import { webhookSignature } from './signing.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';

export class Webhook implements Channel {
  readonly type = 'webhook';
  private readonly secret: string;
  private readonly timeoutMs: number;
  constructor(
    readonly name: string,
    private readonly cfg: Static<typeof WebhookChannel>,
    deps: ChannelDeps,
  ) {
    this.secret = deps.resolveSecret(cfg, 'signSecret', `/channels/${name}`);
    this.timeoutMs = ms(cfg.timeout ?? '5s');
  }

  async send(msg: Notification, key: string): Promise<SendResult> {
    const body = JSON.stringify({
      schemaVersion: 1,
      idempotencyKey: key,
      departmentId: msg.departmentId,
      target: msg.target,
      title: msg.title,
      text: msg.markdown,
      alerts: msg.items.map((i) => ({ ...i.alert, ...(i.workOrderId ? { workOrderId: i.workOrderId } : {}) })),
    });
    const res = await request(this.cfg.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-streetwatch-timestamp': String(Date.now()),
        'x-streetwatch-idempotency-key': key,
        'x-streetwatch-signature': webhookSignature(body, this.secret),
      },
      body,
      timeoutMs: this.timeoutMs,
    });
    if ((res.status >= 200 && res.status < 300) || res.status === 409) {
      return { providerMessageId: res.headers.get('x-message-id') ?? key };
    }
    throw statusError(res, 'webhook');
  }
}
