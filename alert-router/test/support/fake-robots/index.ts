/**
 * Local stand-ins for the DingTalk custom robot (`/robot/send?access_token&timestamp&sign`, 加签
 * recomputed here: base64(HmacSHA256(secret, timestamp+"\n"+secret)), timestamp within an hour;
 * errcode 310000 on mismatch, 130101 when told to throttle) and the WeCom group robot
 * (`/cgi-bin/webhook/send?key=`, errcode 93000 for a wrong key, 45009 when throttled).
 */
import { createHmac } from 'node:crypto';
import { FakeBase, rawQuery, refKey, type Scripted, type TeardownHost } from '../fake-base/index.js';

export const DINGTALK_TOO_FAST: Scripted = { status: 200, body: { errcode: 130101, errmsg: 'send too fast, exceed 20 times per minute' } };
export const DINGTALK_SIGN_MISMATCH: Scripted = { status: 200, body: { errcode: 310000, errmsg: 'sign not match' } };
export const WECOM_FREQ_LIMIT: Scripted = { status: 200, body: { errcode: 45009, errmsg: 'api freq out of limit' } };

export class FakeDingtalk extends FakeBase {
  readonly messages: Array<{ title: string; text: string }> = [];
  constructor(
    readonly accessToken: string,
    readonly secret: string,
  ) {
    super();
    this.app.post('/robot/send', async (req, reply) => {
      const q = rawQuery(req);
      let body: { msgtype?: string; markdown?: { title?: string; text?: string } } = {};
      try {
        body = JSON.parse(String(req.body ?? '')) as typeof body;
      } catch {
        return this.reject(reply, undefined, 'json', { status: 200, body: { errcode: 40035, errmsg: '缺少参数 json' } });
      }
      const key = refKey(body.markdown?.text);
      if (q.access_token !== this.accessToken) return this.reject(reply, key, 'token', { status: 200, body: { errcode: 300001, errmsg: 'token is not exist' } });
      const ts = Number(q.timestamp);
      if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > 3_600_000) {
        return this.reject(reply, key, 'timestamp', { status: 200, body: { errcode: 310000, errmsg: 'invalid timestamp' } });
      }
      const expected = createHmac('sha256', this.secret).update(`${q.timestamp}\n${this.secret}`).digest('base64');
      if (q.sign !== expected) return this.reject(reply, key, 'sign', DINGTALK_SIGN_MISMATCH);
      if (body.msgtype !== 'markdown' || !body.markdown?.title || !body.markdown.text) {
        return this.reject(reply, key, 'markdown', { status: 200, body: { errcode: 40035, errmsg: '缺少参数 markdown' } });
      }
      this.messages.push({ title: body.markdown.title, text: body.markdown.text });
      return this.answer(reply, key, () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
    });
  }
}

export class FakeWecom extends FakeBase {
  readonly messages: unknown[] = [];
  constructor(readonly key: string) {
    super();
    this.app.post('/cgi-bin/webhook/send', async (req, reply) => {
      let body: { msgtype?: string; markdown?: { content?: string }; news?: { articles?: Array<{ title?: string; url?: string; description?: string }> } } = {};
      try {
        body = JSON.parse(String(req.body ?? '')) as typeof body;
      } catch {
        return this.reject(reply, undefined, 'json', { status: 200, body: { errcode: 40001, errmsg: 'invalid json' } });
      }
      const ref = refKey(body.markdown?.content ?? body.news?.articles?.[0]?.description);
      if (rawQuery(req).key !== this.key) return this.reject(reply, ref, 'key', { status: 200, body: { errcode: 93000, errmsg: 'invalid webhook url' } });
      if (body.msgtype === 'markdown') {
        const c = body.markdown?.content ?? '';
        if (!c || Buffer.byteLength(c) > 4096) return this.reject(reply, ref, 'content', { status: 200, body: { errcode: 40058, errmsg: 'markdown.content exceed max length' } });
      } else if (body.msgtype === 'news') {
        const a = body.news?.articles ?? [];
        if (a.length < 1 || a.length > 8 || !a.every((x) => x.title && x.url)) {
          return this.reject(reply, ref, 'news', { status: 200, body: { errcode: 40058, errmsg: 'invalid articles' } });
        }
      } else {
        return this.reject(reply, ref, 'msgtype', { status: 200, body: { errcode: 40008, errmsg: 'invalid message type' } });
      }
      this.messages.push(body);
      return this.answer(reply, ref, () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } }));
    });
  }
}

export async function startFakeDingtalk(t: TeardownHost, o: { accessToken: string; secret: string }): Promise<FakeDingtalk> {
  return new FakeDingtalk(o.accessToken, o.secret).listen(t);
}
export async function startFakeWecom(t: TeardownHost, o: { key: string }): Promise<FakeWecom> {
  return new FakeWecom(o.key).listen(t);
}
