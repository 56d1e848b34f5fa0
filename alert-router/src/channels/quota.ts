import { ms } from '../config/durations.js';
import { ChannelError } from './errors.js';

/** Sliding-window quotas (a log of send times per key), e.g. per phone number and per SMS template. */
export class SlidingWindowQuota {
  private readonly log = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds until `key` may send again (0 = now). */
  waitMs(key: string, now: number): number {
    const times = this.prune(key, now);
    if (times.length < this.limit) return 0;
    return (times[times.length - this.limit] as number) + this.windowMs - now;
  }

  record(key: string, now: number): void {
    const times = this.prune(key, now);
    times.push(now);
    this.log.set(key, times);
  }

  private prune(key: string, now: number): number[] {
    const times = this.log.get(key) ?? [];
    let i = 0;
    while (i < times.length && (times[i] as number) <= now - this.windowMs) i++;
    return i > 0 ? times.slice(i) : times;
  }
}

/** Both quotas of an SMS channel; `take` reserves one send for every number or throws nothing and returns the wait. */
export class SmsQuotas {
  private readonly perNumber: SlidingWindowQuota | undefined;
  private readonly perTemplate: SlidingWindowQuota | undefined;
  constructor(
    private readonly template: string,
    cfg: { perNumber?: { limit: number; windowMs: number }; perTemplate?: { limit: number; windowMs: number } } = {},
  ) {
    this.perNumber = cfg.perNumber && new SlidingWindowQuota(cfg.perNumber.limit, cfg.perNumber.windowMs);
    this.perTemplate = cfg.perTemplate && new SlidingWindowQuota(cfg.perTemplate.limit, cfg.perTemplate.windowMs);
  }

  /** 0 and the sends are recorded, or the wait in ms before any of them may go (nothing recorded). */
  take(phones: readonly string[], now: number): number {
    let wait = this.perTemplate?.waitMs(this.template, now) ?? 0;
    for (const p of phones) wait = Math.max(wait, this.perNumber?.waitMs(p, now) ?? 0);
    if (wait > 0) return wait;
    this.perTemplate?.record(this.template, now);
    for (const p of phones) this.perNumber?.record(p, now);
    return 0;
  }
}

/** An SMS channel's `quota` config section. */
export interface SmsQuotaConfig {
  readonly perNumber?: { readonly limit: number; readonly window: string };
  readonly perTemplate?: { readonly limit: number; readonly window: string };
}

/** Quotas of an SMS channel from its config (durations like `1h`). */
export function smsQuotasFrom(template: string, q: SmsQuotaConfig | undefined): SmsQuotas {
  return new SmsQuotas(template, {
    ...(q?.perNumber ? { perNumber: { limit: q.perNumber.limit, windowMs: ms(q.perNumber.window) } } : {}),
    ...(q?.perTemplate ? { perTemplate: { limit: q.perTemplate.limit, windowMs: ms(q.perTemplate.window) } } : {}),
  });
}

/** Before an SMS send: someone to send to, and room in the quotas (recorded when it may go). */
export function admitSms(quotas: SmsQuotas, phones: readonly string[], now: number): void {
  if (phones.length === 0) throw new ChannelError('SW_ROUTER_NO_RECIPIENT', 'no phone numbers', { retryable: false });
  const wait = quotas.take(phones, now);
  if (wait > 0) {
    throw new ChannelError('SW_ROUTER_QUOTA_EXCEEDED', `SMS quota used up for ${wait} ms`, { retryable: true, retryAfterMs: wait });
  }
}
