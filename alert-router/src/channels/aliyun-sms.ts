/**
 * Aliyun Dysmsapi `SendSms` (API version 2017-05-25), RPC style with the POP v1 signature.
 * Idempotency: our key travels as `OutId` (echoed in delivery receipts and QuerySendDetails);
 * Aliyun does not de-duplicate on it, so a resend after a crash may reach the phone twice.
 */
import { randomUUID } from 'node:crypto';
import type { Static } from '@sinclair/typebox';
import { ms } from '../config/durations.js';
import type { AliyunSmsChannel } from '../config/schema.js';
import { ChannelError } from './errors.js';
import { request, statusError } from './http.js';
import { admitSms, smsQuotasFrom, type SmsQuotas } from './quota.js';
import { aliyunCanonicalQuery, aliyunPercentEncode, aliyunSignature } from './signing.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';
import { smsParams } from './render.js';

type Config = Static<typeof AliyunSmsChannel>;
const ALIYUN_ENDPOINT = 'https://dysmsapi.aliyuncs.com/';

interface AliyunReply {
  Code?: string;
  Message?: string;
  BizId?: string;
  RequestId?: string;
}

/** Codes that mean "later", per Aliyun's SMS error-code list; other `isv.*` codes are permanent. */
const THROTTLE = new Set(['isv.BUSINESS_LIMIT_CONTROL', 'Throttling.User', 'Throttling', 'isv.DAY_LIMIT_CONTROL']);
const AUTH = new Set(['SignatureDoesNotMatch', 'InvalidAccessKeyId.NotFound', 'InvalidAccessKeyId.Inactive', 'IncompleteSignature', 'SignatureNonceUsed', 'InvalidTimeStamp.Expired']);

export class AliyunSms implements Channel {
  readonly type = 'sms-aliyun';
  private readonly secret: string;
  private readonly quotas: SmsQuotas;
  private readonly timeoutMs: number;

  constructor(
    readonly name: string,
    private readonly cfg: Config,
    private readonly deps: ChannelDeps,
  ) {
    this.secret = deps.resolveSecret(cfg, 'accessKeySecret', `/channels/${name}`);
    this.timeoutMs = ms(cfg.timeout ?? '5s');
    this.quotas = smsQuotasFrom(cfg.templateCode, cfg.quota);
  }

  async send(msg: Notification, key: string): Promise<SendResult> {
    admitSms(this.quotas, msg.phones, this.deps.clock.now());
    const linkParam = this.cfg.evidenceLinkParam;
    const url = linkParam === undefined ? undefined : await this.deps.evidenceLinks?.forNotification(msg.items, msg.departmentId, 'sms', this.name);
    const params: Record<string, string> = {
      AccessKeyId: this.cfg.accessKeyId,
      Action: 'SendSms',
      Format: 'JSON',
      OutId: key,
      // Aliyun takes mainland numbers without the +86 prefix; international ones with the country code.
      PhoneNumbers: msg.phones.map((p) => (p.startsWith('+86') ? p.slice(3) : p.replace(/^\+/, '00'))).join(','),
      RegionId: this.cfg.regionId ?? 'cn-hangzhou',
      SignName: this.cfg.signName,
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: randomUUID(),
      SignatureVersion: '1.0',
      TemplateCode: this.cfg.templateCode,
      TemplateParam: JSON.stringify(smsParams(msg, linkParam !== undefined && url !== undefined ? { param: linkParam, url } : undefined)),
      Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Version: '2017-05-25',
    };
    const signature = aliyunSignature(this.cfg.method ?? 'GET', params, this.secret);
    const query = `Signature=${aliyunPercentEncode(signature)}&${aliyunCanonicalQuery(params)}`;
    const res =
      (this.cfg.method ?? 'GET') === 'GET'
        ? await request(`${this.cfg.endpoint ?? ALIYUN_ENDPOINT}?${query}`, { method: 'GET', timeoutMs: this.timeoutMs })
        : await request(this.cfg.endpoint ?? ALIYUN_ENDPOINT, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: query,
            timeoutMs: this.timeoutMs,
          });
    const body = res.json<AliyunReply>();
    const code = body?.Code;
    if (res.status === 200 && code === 'OK') return { providerMessageId: body?.BizId ?? body?.RequestId ?? '' };
    if (code && THROTTLE.has(code)) {
      throw new ChannelError('SW_ROUTER_PROVIDER_THROTTLED', `Aliyun ${code}`, { retryable: true, providerCode: code, status: res.status });
    }
    if (code && AUTH.has(code)) {
      throw new ChannelError('SW_ROUTER_PROVIDER_AUTH', `Aliyun ${code}`, { retryable: false, providerCode: code, status: res.status });
    }
    if (code?.startsWith('isp.') || code === 'ServiceUnavailable' || code === 'InternalError') {
      throw new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `Aliyun ${code}`, { retryable: true, providerCode: code, status: res.status });
    }
    if (code) throw new ChannelError('SW_ROUTER_PROVIDER_REJECTED', `Aliyun ${code}`, { retryable: false, providerCode: code, status: res.status });
    throw statusError(res, 'Aliyun SendSms');
  }
}
