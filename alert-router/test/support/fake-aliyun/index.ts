/**
 * A local stand-in for Aliyun Dysmsapi `SendSms` (2017-05-25, RPC style). It recomputes the POP v1
 * signature from the request it received, following the document step by step (own percent-encoder
 * over UTF-8 bytes, sorted parameters, `METHOD&%2F&encode(query)`, HMAC-SHA1 with `secret&`), and
 * answers with Aliyun's documented shapes: `{Code:'OK', BizId, RequestId, Message}`; HTTP 400
 * `SignatureDoesNotMatch`; `isv.BUSINESS_LIMIT_CONTROL` when told to throttle.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { FakeBase, parsePairs, rawQuery, type Scripted, type TeardownHost } from '../fake-base/index.js';

/** Percent-encoding per the Aliyun table: A-Z a-z 0-9 - _ . ~ kept, every other UTF-8 byte as %XY. */
function popEncode(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export const ALIYUN_THROTTLED: Scripted = {
  status: 200,
  body: { Code: 'isv.BUSINESS_LIMIT_CONTROL', Message: '触发分钟级流控Permits:1', RequestId: 'F655A8D5-B967-440B-8683-DAD6FF8DE990' },
};
export const ALIYUN_SIGNATURE_MISMATCH: Scripted = {
  status: 400,
  body: {
    Code: 'SignatureDoesNotMatch',
    Message: 'Specified signature is not matched with our calculation.',
    RequestId: '8906582E-6722-409A-A6C4-0E7863B733A5',
    HostId: 'dysmsapi.aliyuncs.com',
  },
};

const REQUIRED = ['AccessKeyId', 'Action', 'Format', 'PhoneNumbers', 'RegionId', 'SignName', 'SignatureMethod', 'SignatureNonce', 'SignatureVersion', 'TemplateCode', 'Timestamp', 'Version'];

export class FakeAliyun extends FakeBase {
  readonly nonces = new Set<string>();
  constructor(
    readonly accessKeyId: string,
    readonly secret: string,
  ) {
    super();
    const handle = async (method: 'GET' | 'POST', params: Record<string, string>, reply: Parameters<FakeBase['answer']>[0]) => {
      const key = params.OutId;
      const missing = REQUIRED.filter((k) => !params[k]);
      if (missing.length) return this.reject(reply, key, `missing ${missing.join(',')}`, { status: 400, body: { Code: 'MissingParameter', Message: missing.join(',') } });
      if (params.Action !== 'SendSms' || params.Version !== '2017-05-25' || params.Format !== 'JSON') {
        return this.reject(reply, key, 'bad action/version', { status: 400, body: { Code: 'InvalidParameter', Message: 'Action/Version' } });
      }
      if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
        return this.reject(reply, key, 'bad signature method', { status: 400, body: { Code: 'InvalidParameter', Message: 'SignatureMethod' } });
      }
      if (params.AccessKeyId !== this.accessKeyId) {
        return this.reject(reply, key, 'unknown key id', { status: 404, body: { Code: 'InvalidAccessKeyId.NotFound', Message: 'Specified access key is not found.' } });
      }
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(params.Timestamp ?? '') || Math.abs(Date.parse(params.Timestamp ?? '') - Date.now()) > 15 * 60_000) {
        return this.reject(reply, key, 'timestamp', { status: 400, body: { Code: 'InvalidTimeStamp.Expired', Message: 'Specified time stamp or date value is expired.' } });
      }
      const sorted = Object.keys(params).filter((k) => k !== 'Signature').sort();
      const canonical = sorted.map((k) => `${popEncode(k)}=${popEncode(params[k] ?? '')}`).join('&');
      const stringToSign = `${method}&${popEncode('/')}&${popEncode(canonical)}`;
      const expected = createHmac('sha1', `${this.secret}&`).update(stringToSign).digest('base64');
      if (params.Signature !== expected) return this.reject(reply, key, 'signature', ALIYUN_SIGNATURE_MISMATCH);
      if (this.nonces.has(params.SignatureNonce ?? '')) {
        return this.reject(reply, key, 'nonce reused', { status: 400, body: { Code: 'SignatureNonceUsed', Message: 'Specified signature nonce was used already.' } });
      }
      this.nonces.add(params.SignatureNonce ?? '');
      try {
        JSON.parse(params.TemplateParam ?? '{}');
      } catch {
        return this.reject(reply, key, 'template param', { status: 200, body: { Code: 'isv.INVALID_JSON_PARAM', Message: 'JSON参数不合法' } });
      }
      return this.answer(reply, key, () => ({
        status: 200,
        body: { Code: 'OK', Message: 'OK', BizId: `${Date.now()}^0`, RequestId: randomUUID().toUpperCase() },
      }));
    };
    this.app.get('/', async (req, reply) => handle('GET', rawQuery(req), reply));
    this.app.post('/', async (req, reply) => handle('POST', parsePairs(String(req.body ?? '')), reply));
  }
}

export async function startFakeAliyun(t: TeardownHost, opts: { accessKeyId: string; secret: string }): Promise<FakeAliyun> {
  return new FakeAliyun(opts.accessKeyId, opts.secret).listen(t);
}
