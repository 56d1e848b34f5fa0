/**
 * Group robots: DingTalk custom robot (markdown with the evidence picture, 加签 signature:
 * `timestamp` + `sign` = urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret))) in the
 * query) and WeCom group robot (markdown or news, authenticated by the `key` in the URL only).
 * Neither has an idempotency field: our key is in the text (`ref:` line) so people and tests can
 * see a repeat, and a resend after a crash is marked uncertain.
 */
import type { Static } from '@sinclair/typebox';
import { ms } from '../config/durations.js';
import type { DingtalkChannel, WecomChannel } from '../config/schema.js';
import { ChannelError } from './errors.js';
import { request, statusError, type HttpResponse } from './http.js';
import { withPicture } from './render.js';
import { dingtalkSign } from './signing.js';
import type { Channel, ChannelDeps, Notification, SendResult } from './types.js';

interface RobotReply {
  errcode?: number;
  errmsg?: string;
}

function robotResult(res: HttpResponse, what: string, throttled: Set<number>, auth: Set<number>, busy: Set<number>): SendResult {
  const body = res.json<RobotReply>();
  if (res.status !== 200 || body?.errcode === undefined) throw statusError(res, what);
  const code = body.errcode;
  if (code === 0) return { providerMessageId: res.headers.get('x-request-id') ?? '' };
  const providerCode = String(code);
  if (throttled.has(code)) {
    // DingTalk: 20 messages a minute per robot, then throttled for 10 minutes; WeCom: 20 a minute.
    throw new ChannelError('SW_ROUTER_PROVIDER_THROTTLED', `${what} errcode ${code}`, { retryable: true, providerCode });
  }
  if (auth.has(code)) throw new ChannelError('SW_ROUTER_PROVIDER_AUTH', `${what} errcode ${code}`, { retryable: false, providerCode });
  if (busy.has(code)) throw new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', `${what} errcode ${code}`, { retryable: true, providerCode });
  throw new ChannelError('SW_ROUTER_PROVIDER_REJECTED', `${what} errcode ${code}`, { retryable: false, providerCode });
}

export class Dingtalk implements Channel {
  readonly type = 'dingtalk';
  private readonly token: string;
  private readonly secret: string;
  private readonly timeoutMs: number;
  constructor(
    readonly name: string,
    private readonly cfg: Static<typeof DingtalkChannel>,
    private readonly deps: ChannelDeps,
  ) {
    this.token = deps.resolveSecret(cfg, 'accessToken', `/channels/${name}`);
    this.secret = deps.resolveSecret(cfg, 'signSecret', `/channels/${name}`);
    this.timeoutMs = ms(cfg.timeout ?? '5s');
  }

  async send(msg: Notification): Promise<SendResult> {
    const timestamp = Date.now();
    const url = `${this.cfg.endpoint ?? 'https://oapi.dingtalk.com/robot/send'}?access_token=${encodeURIComponent(this.token)}&timestamp=${timestamp}&sign=${dingtalkSign(timestamp, this.secret)}`;
    const pic = await this.deps.evidenceLinks?.forNotification(msg.items, msg.departmentId, 'robot', this.name);
    const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: msg.title, text: withPicture(msg.markdown, pic) } });
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body,
      timeoutMs: this.timeoutMs,
    });
    // 310000: sign mismatch / keyword / IP not allowed; 300001: bad token; 130101: too fast; -1: busy.
    return robotResult(res, 'DingTalk robot', new Set([130101, 130102]), new Set([310000, 300001, 300005]), new Set([-1]));
  }
}

export class Wecom implements Channel {
  readonly type = 'wecom';
  private readonly key: string;
  private readonly timeoutMs: number;
  constructor(
    readonly name: string,
    private readonly cfg: Static<typeof WecomChannel>,
    private readonly deps: ChannelDeps,
  ) {
    this.key = deps.resolveSecret(cfg, 'key', `/channels/${name}`);
    this.timeoutMs = ms(cfg.timeout ?? '5s');
  }

  async send(msg: Notification): Promise<SendResult> {
    const pic = await this.deps.evidenceLinks?.forNotification(msg.items, msg.departmentId, 'robot', this.name);
    const body =
      this.cfg.msgtype === 'news'
        ? {
            msgtype: 'news',
            news: {
              articles: [
                {
                  title: msg.title.slice(0, 128),
                  description: msg.text.slice(0, 512),
                  url: pic ?? 'about:blank',
                  ...(pic !== undefined ? { picurl: pic } : {}),
                },
              ],
            },
          }
        : { msgtype: 'markdown', markdown: { content: truncateBytes(withPicture(msg.markdown, pic), 4096) } };
    const res = await request(`${this.cfg.endpoint ?? 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send'}?key=${encodeURIComponent(this.key)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.timeoutMs,
    });
    // 45009: api freq out of limit; 93000: invalid webhook url (bad key); -1: system busy.
    return robotResult(res, 'WeCom robot', new Set([45009]), new Set([93000, 40001, 40014]), new Set([-1]));
  }
}

/** WeCom limits markdown content to 4096 bytes of UTF-8. */
function truncateBytes(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  return b.subarray(0, max).toString('utf8').replace(/\uFFFD+$/, '');
}
