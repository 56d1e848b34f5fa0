/**
 * Request signing, exactly as each provider documents it. Pure functions of their inputs, so the
 * tests can pin them to known vectors; the fake providers recompute independently.
 */
import { createHash, createHmac } from 'node:crypto';

/**
 * Aliyun POP signature v1 (RPC style): percent-encode as RFC 3986 (space → %20, `*` → %2A,
 * `~` kept), sort parameters by name, join `k=v` with `&`, then
 * StringToSign = METHOD & percentEncode('/') & percentEncode(canonicalQuery);
 * Signature = base64(HMAC-SHA1(AccessKeySecret + '&', StringToSign)).
 */
export function aliyunPercentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

export function aliyunCanonicalQuery(params: Readonly<Record<string, string>>): string {
  return Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${aliyunPercentEncode(k)}=${aliyunPercentEncode(params[k] as string)}`)
    .join('&');
}

export function aliyunSignature(method: 'GET' | 'POST', params: Readonly<Record<string, string>>, accessKeySecret: string): string {
  const stringToSign = `${method}&${aliyunPercentEncode('/')}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`;
  return createHmac('sha1', `${accessKeySecret}&`).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Tencent Cloud API signature v3 (TC3-HMAC-SHA256) for a JSON POST to `/`:
 * CanonicalRequest = POST \n / \n (empty query) \n canonicalHeaders \n signedHeaders \n hex(sha256(payload));
 * StringToSign = TC3-HMAC-SHA256 \n timestamp \n date/service/tc3_request \n hex(sha256(CanonicalRequest));
 * key chain: HMAC('TC3'+SecretKey, date) → service → 'tc3_request'; signature = hex(HMAC(key, StringToSign)).
 */
export function tc3Authorization(opts: {
  secretId: string;
  secretKey: string;
  service: string;
  timestamp: number;
  /** Header name (any case) → value; all of them are signed. */
  headers: Readonly<Record<string, string>>;
  payload: string;
}): string {
  const sha256hex = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
  const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();
  const names = Object.keys(opts.headers).map((h) => h.toLowerCase()).sort();
  const lower: Record<string, string> = {};
  // Header names and values lower-cased and trimmed, as the v3 document shows (x-tc-action:sendsms).
  for (const [k, v] of Object.entries(opts.headers)) lower[k.toLowerCase()] = v.trim().toLowerCase();
  const canonicalHeaders = names.map((n) => `${n}:${lower[n] as string}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256hex(opts.payload)].join('\n');
  const date = new Date(opts.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${opts.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(opts.timestamp), scope, sha256hex(canonicalRequest)].join('\n');
  const kDate = hmac(`TC3${opts.secretKey}`, date);
  const kService = hmac(kDate, opts.service);
  const kSigning = hmac(kService, 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  return `TC3-HMAC-SHA256 Credential=${opts.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

/** DingTalk robot 加签: sign = urlEncode(base64(HmacSHA256(secret, timestamp + "\n" + secret))). */
export function dingtalkSign(timestampMs: number, secret: string): string {
  const b64 = createHmac('sha256', secret).update(`${timestampMs}\n${secret}`, 'utf8').digest('base64');
  return encodeURIComponent(b64);
}

/** Our generic webhook: `X-Streetwatch-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. */
export function webhookSignature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
