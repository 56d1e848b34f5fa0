/**
 * Short signed tokens for a database row id: `<id base36>.<first 96 bits of HMAC-SHA256(key,
 * "<purpose>.<id>"), base64url>`, ~24 characters (short enough for an SMS template variable). The
 * HMAC stops anyone from walking the sequential ids; what a token allows is the row it names, read
 * when it is presented. `purpose` keeps the kinds apart: a token made for one ("ev1": evidence
 * links, "lv1": live tickets) never verifies as another under the same key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const TOKEN = /^([0-9a-z]{1,13})\.([A-Za-z0-9_-]{16})$/;

function mac(key: Buffer, purpose: string, id: bigint): Buffer {
  return createHmac('sha256', key).update(`${purpose}.${id.toString()}`).digest().subarray(0, 12);
}

/** The token of row `id` for `purpose`. */
export function signId(key: Buffer, purpose: string, id: bigint): string {
  return `${id.toString(36)}.${mac(key, purpose, id).toString('base64url')}`;
}

/** The row id of a well-formed token with a valid signature for `purpose`, else undefined. */
export function verifySignedId(key: Buffer, purpose: string, token: string): bigint | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  let id = 0n;
  for (const ch of m[1] as string) id = id * 36n + BigInt(parseInt(ch, 36));
  const given = Buffer.from(m[2] as string, 'base64url');
  const want = mac(key, purpose, id);
  return given.length === want.length && timingSafeEqual(given, want) ? id : undefined;
}
