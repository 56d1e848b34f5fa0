/**
 * Link tokens: `<link id, base36>.<first 96 bits of HMAC-SHA256(key, "ev1.<id>"), base64url>`,
 * ~24 characters, short enough for an SMS template variable. The HMAC stops anyone from walking
 * the (sequential) ids; what the link allows — which work order and picture, until when, for
 * whom — is its row in `evidence_links`, read when it is used.
 */
import { signId, verifySignedId } from '@streetwatch/platform';

const PURPOSE = 'ev1';

export function signLinkId(key: Buffer, id: bigint): string {
  return signId(key, PURPOSE, id);
}

/** The link id of a well-formed token with a valid signature, else undefined. */
export function verifyLinkToken(key: Buffer, token: string): bigint | undefined {
  return verifySignedId(key, PURPOSE, token);
}
