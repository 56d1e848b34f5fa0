/**
 * Signed row-id tokens (evidence links "ev1", live tickets "lv1"): the documented format, so that
 * links already sent by SMS stay valid; a token verifies only for its own purpose and key; a
 * changed, truncated or malformed token gives undefined, never an id.
 */
import { createHmac } from 'node:crypto';
import t from 'tap';
import { signId, verifySignedId } from '../src/signed-id.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');

t.test('the token is <id base36>.<first 96 bits of HMAC-SHA256(key, "<purpose>.<id>"), base64url>', async (t) => {
  const want = `${(12345n).toString(36)}.${createHmac('sha256', key).update('ev1.12345').digest().subarray(0, 12).toString('base64url')}`;
  t.equal(signId(key, 'ev1', 12345n), want);
  t.equal(want, '9ix.kN7BwAXTlKbfoMao', 'pinned: a link sent before any refactor still opens');
  t.equal(verifySignedId(key, 'ev1', want), 12345n);
});

t.test('a token verifies only for its own purpose and key', async (t) => {
  const token = signId(key, 'lv1', 9_007_199_254_740_993n);
  t.equal(verifySignedId(key, 'lv1', token), 9_007_199_254_740_993n, 'ids beyond 2^53 survive');
  t.equal(verifySignedId(key, 'ev1', token), undefined, 'a live ticket is not an evidence link');
  t.equal(verifySignedId(Buffer.from('another key, also thirty-two b!!'), 'lv1', token), undefined);
});

t.test('changed, truncated or malformed tokens give undefined', async (t) => {
  const token = signId(key, 'ev1', 42n);
  const [id, mac] = token.split('.') as [string, string];
  t.equal(verifySignedId(key, 'ev1', `${(43).toString(36)}.${mac}`), undefined, 'another id with this signature');
  t.equal(verifySignedId(key, 'ev1', `${id}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`), undefined, 'one character changed');
  for (const bad of ['', token.slice(0, -1), `${token}x`, `${id}`, `.${mac}`, `${id.toUpperCase()}Z.${mac}`, `${'z'.repeat(14)}.${mac}`]) {
    t.equal(verifySignedId(key, 'ev1', bad), undefined, JSON.stringify(bad));
  }
});
