/**
 * A local stand-in for Tencent Cloud SMS `SendSms` (2021-01-11). It rebuilds the TC3-HMAC-SHA256
 * signature from what it received (the headers named in SignedHeaders, the raw JSON payload, the
 * credential scope date/sms/tc3_request) and answers in Tencent's shapes: `Response.SendStatusSet`
 * on success, `Response.Error` with `AuthFailure.SignatureFailure`, `AuthFailure.SignatureExpire`,
 * or `RequestLimitExceeded` when told to throttle.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { FakeBase, type Scripted, type TeardownHost } from '../fake-base/index.js';

const err = (code: string, message: string): Scripted => ({
  status: 200,
  body: { Response: { Error: { Code: code, Message: message }, RequestId: randomUUID() } },
});
export const TENCENT_THROTTLED = err('RequestLimitExceeded', '请求的次数超过了频率限制。');
export const TENCENT_SIGNATURE_FAILURE = err('AuthFailure.SignatureFailure', 'The provided credentials could not be validated. Please check your signature is correct.');

export class FakeTencent extends FakeBase {
  constructor(
    readonly secretId: string,
    readonly secretKey: string,
  ) {
    super();
    this.app.post('/', async (req, reply) => {
      const raw = String(req.body ?? '');
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return this.reject(reply, undefined, 'json', err('InvalidParameter', 'body is not JSON'));
      }
      const key = typeof body.SessionContext === 'string' ? body.SessionContext : undefined;
      const h = req.headers;
      if (h['x-tc-action'] !== 'SendSms' || h['x-tc-version'] !== '2021-01-11' || !h['x-tc-region']) {
        return this.reject(reply, key, 'headers', err('InvalidAction', 'action/version/region'));
      }
      const ts = Number(h['x-tc-timestamp']);
      if (!Number.isInteger(ts) || Math.abs(ts * 1000 - Date.now()) > 5 * 60_000) {
        return this.reject(reply, key, 'timestamp', err('AuthFailure.SignatureExpire', 'Signature expired.'));
      }
      const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d{2}-\d{2})\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
        String(h.authorization ?? ''),
      );
      if (!m) return this.reject(reply, key, 'authorization format', err('AuthFailure.InvalidAuthorization', 'Authorization header malformed'));
      const [, id, date, service, signedHeaders, signature] = m as unknown as string[];
      if (id !== this.secretId) return this.reject(reply, key, 'secret id', err('AuthFailure.SecretIdNotFound', 'SecretId not found'));
      const names = (signedHeaders as string).split(';');
      if (!names.includes('content-type') || !names.includes('host')) {
        return this.reject(reply, key, 'signed headers', err('AuthFailure.SignatureFailure', 'content-type and host must be signed'));
      }
      if (date !== new Date(ts * 1000).toISOString().slice(0, 10) || service !== 'sms') {
        return this.reject(reply, key, 'scope', err('AuthFailure.SignatureFailure', 'credential scope mismatch'));
      }
      const canonicalHeaders = names.map((n) => `${n}:${String(h[n] ?? '').trim().toLowerCase()}\n`).join('');
      const hash = (s: string): string => createHash('sha256').update(s).digest('hex');
      const canonicalRequest = `POST\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${hash(raw)}`;
      const stringToSign = `TC3-HMAC-SHA256\n${ts}\n${date}/sms/tc3_request\n${hash(canonicalRequest)}`;
      let k: Buffer = createHmac('sha256', `TC3${this.secretKey}`).update(date as string).digest();
      k = createHmac('sha256', k).update('sms').digest();
      k = createHmac('sha256', k).update('tc3_request').digest();
      if (createHmac('sha256', k).update(stringToSign).digest('hex') !== signature) {
        return this.reject(reply, key, 'signature', TENCENT_SIGNATURE_FAILURE);
      }
      const phones = body.PhoneNumberSet;
      if (!Array.isArray(phones) || phones.length === 0 || !body.SmsSdkAppId || !body.TemplateId) {
        return this.reject(reply, key, 'params', err('MissingParameter', 'PhoneNumberSet/SmsSdkAppId/TemplateId'));
      }
      return this.answer(reply, key, () => ({
        status: 200,
        body: {
          Response: {
            SendStatusSet: phones.map((p) => ({
              SerialNo: `2028:${randomUUID()}`,
              PhoneNumber: p,
              Fee: 1,
              SessionContext: key ?? '',
              Code: 'Ok',
              Message: 'send success',
              IsoCode: 'CN',
            })),
            RequestId: randomUUID(),
          },
        },
      }));
    });
  }
}

export async function startFakeTencent(t: TeardownHost, opts: { secretId: string; secretKey: string }): Promise<FakeTencent> {
  return new FakeTencent(opts.secretId, opts.secretKey).listen(t);
}
