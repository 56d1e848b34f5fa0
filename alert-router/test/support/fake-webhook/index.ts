/**
 * A receiver of our generic webhook: checks `X-Streetwatch-Signature: sha256=<hex HMAC(body)>`
 * over the raw body and a fresh `X-Streetwatch-Timestamp`, answers 401 on mismatch, and can answer
 * 429/503 with Retry-After. Counts deliveries per `X-Streetwatch-Idempotency-Key`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { FakeBase, type Scripted, type TeardownHost } from '../fake-base/index.js';

export const TOO_MANY = (retryAfterSeconds: number): Scripted => ({
  status: 429,
  headers: { 'retry-after': String(retryAfterSeconds) },
  body: { error: 'slow down' },
});
export const UNAVAILABLE: Scripted = { status: 503, body: { error: 'down' } };

export class FakeWebhook extends FakeBase {
  readonly bodies: unknown[] = [];
  constructor(readonly secret: string) {
    super();
    this.app.post('/hook', async (req, reply) => {
      const raw = String(req.body ?? '');
      const key = req.headers['x-streetwatch-idempotency-key'] as string | undefined;
      const ts = Number(req.headers['x-streetwatch-timestamp']);
      if (!Number.isFinite(ts) || Math.abs(Date.now() - ts) > 5 * 60_000) return this.reject(reply, key, 'timestamp', { status: 401, body: { error: 'stale' } });
      const want = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(raw).digest('hex')}`);
      const got = Buffer.from(String(req.headers['x-streetwatch-signature'] ?? ''));
      if (want.length !== got.length || !timingSafeEqual(want, got)) return this.reject(reply, key, 'signature', { status: 401, body: { error: 'bad signature' } });
      return this.answer(reply, key, () => {
        this.bodies.push(JSON.parse(raw));
        return { status: 200, body: { ok: true } };
      });
    });
  }
}

export async function startFakeWebhook(t: TeardownHost, o: { secret: string }): Promise<FakeWebhook> {
  return new FakeWebhook(o.secret).listen(t);
}
