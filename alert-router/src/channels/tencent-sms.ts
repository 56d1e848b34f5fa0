/**
 * Tencent Cloud SMS `SendSms` (API version 2021-01-11), JSON POST signed with TC3-HMAC-SHA256.
 * Idempotency: our key travels as `SessionContext` (echoed in the reply and status receipts);
 * Tencent does not de-duplicate on it, so a resend after a crash may reach the phone twice.
 */
import type { Static } from '@sinclair/typebox';
import { ms } from '../config/durations.js';
import type { TencentSmsChannel } from '../config/schema.js';
import { ChannelError } from './errors.js';
import { request, statusError } from './http.js';
import { admitSms, smsQuotasFrom, type SmsQuotas } from './quota.js';
import { smsParams } from './render.js';
import { tc3Authorization } from './signing.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';

type Config = Static<typeof TencentSmsChannel>;
const TENCENT_ENDPOINT = 'https://sms.tencentcloudapi.com';

interface TencentReply {
  Response?: {
    Error?: { Code: string; Message: string };
    SendStatusSet?: Array<{ SerialNo?: string; PhoneNumber?: string; Code?: string; Message?: string; SessionContext?: string }>;
    RequestId?: string;
  };
}

function classify(code: string, status: number): ChannelError {
  if (code === 'RequestLimitExceeded' || code.startsWith('LimitExceeded') || code.startsWith('RequestLimitExceeded')) {
    return new ChannelError('SW_ROUTER_PROVIDER_THROTTLED', `Tencent ${code}`, { retryable: true, providerCode: code, status });
  }
  if (code.startsWith('AuthFailure')) {
    return new ChannelError('SW_ROUTER_PROVIDER_AUTH', `Tencent ${code}`, { retryable: false, providerCode: code, status });
  }
  if (code.startsWith('InternalError') || code === 'ServiceUnavailable' || code.startsWith('FailedOperation.')) {
    const retry = code.startsWith('InternalError') || code === 'ServiceUnavailable';
    return new ChannelError(retry ? 'SW_ROUTER_PROVIDER_UNAVAILABLE' : 'SW_ROUTER_PROVIDER_REJECTED', `Tencent ${code}`, {
      retryable: retry,
      providerCode: code,
      status,
    });
  }
  return new ChannelError('SW_ROUTER_PROVIDER_REJECTED', `Tencent ${code}`, { retryable: false, providerCode: code, status });
}

export class TencentSms implements Channel {
  readonly type = 'sms-tencent';
  private readonly secretKey: string;
  private readonly quotas: SmsQuotas;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly cfg: Config,
    private readonly deps: ChannelDeps,
  ) {
    this.secretKey = deps.resolveSecret(cfg, 'secretKey', `/channels/${name}`);
    this.timeoutMs = ms(cfg.timeout ?? '5s');
    this.quotas = smsQuotasFrom(cfg.templateId, cfg.quota);
  }

  async send(msg: Notification, key: string): Promise<SendResult> {
    admitSms(this.quotas, msg.phones, this.deps.clock.now());
    const p = smsParams(msg);
    const link = this.cfg.evidenceLink === true ? await this.deps.evidenceLinks?.forNotification(msg.items, msg.departmentId, 'sms', this.name) : undefined;
    const payload = JSON.stringify({
      PhoneNumberSet: [...msg.phones],
      SmsSdkAppId: this.cfg.smsSdkAppId,
      SignName: this.cfg.signName,
      TemplateId: this.cfg.templateId,
      TemplateParamSet: [p.type, p.place, p.time, ...(this.cfg.evidenceLink === true ? [link ?? '-'] : [])],
      SessionContext: key,
    });
    const url = new URL(this.cfg.endpoint ?? TENCENT_ENDPOINT);
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = {
      'Content-Type': 'application/json; charset=utf-8',
      Host: url.host,
      'X-TC-Action': 'SendSms',
    };
    const authorization = tc3Authorization({
      secretId: this.cfg.secretId,
      secretKey: this.secretKey,
      service: 'sms',
      timestamp,
      headers: signed,
      payload,
    });
    const res = await request(this.cfg.endpoint ?? TENCENT_ENDPOINT, {
      method: 'POST',
      headers: {
        Authorization: authorization,
        'Content-Type': signed['Content-Type'],
        'X-TC-Action': 'SendSms',
        'X-TC-Version': '2021-01-11',
        'X-TC-Timestamp': String(timestamp),
        'X-TC-Region': this.cfg.region ?? 'ap-guangzhou',
      },
      body: payload,
      timeoutMs: this.timeoutMs,
    });
    const body = res.json<TencentReply>()?.Response;
    if (body?.Error) throw classify(body.Error.Code, res.status);
    if (res.status !== 200 || !body) throw statusError(res, 'Tencent SendSms');
    const failed = (body.SendStatusSet ?? []).find((s) => s.Code !== 'Ok');
    if (failed?.Code) throw classify(failed.Code, res.status);
    return { providerMessageId: (body.SendStatusSet ?? []).map((s) => s.SerialNo ?? '').join(',') || (body.RequestId ?? '') };
  }
}
