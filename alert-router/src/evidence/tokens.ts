/**
 * Link tokens: `<link id, base36>.<first 96 bits of HMAC-SHA256(key, "ev1.<id>"), base64url>`,
 * ~24 characters, short enough for an SMS template variable. The HMAC stops anyone from walking
 * the (sequential) ids; what the link allows — which work order and picture, until when, for
 * whom — is its row in `evidence_links`, read when it is used.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOKEN = /^([0-9a-z]{1,13})\.([A-Za-z0-9_-]{16})$/;

function mac(key: Buffer, id: bigint): Buffer {
  return createHmac('sha256', key).update(`ev1.${id.toString()}`).digest().subarray(0, 12);
}

export function signLinkId(key: Buffer, id: bigint): string {
  return `${id.toString(36)}.${mac(key, id).toString('base64url')}`;
}

/** The link id of a well-formed token with a valid signature, else undefined. */
export function verifyLinkToken(key: Buffer, token: string): bigint | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  let id = 0n;
  for (const ch of m[1] as string) id = id * 36n + BigInt(parseInt(ch, 36));
  const given = Buffer.from(m[2] as string, 'base64url');
  const want = mac(key, id);
  return given.length === want.length && timingSafeEqual(given, want) ? id : undefined;
}
