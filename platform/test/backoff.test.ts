import t from 'tap';
import { Backoff, backoffDelay } from '../src/backoff.js';

t.test('retry n waits initial * factor^(n-1), capped; no jitter by default', async (t) => {
  const p = { initialMs: 100, maxMs: 30_000 };
  t.same([1, 2, 3, 4].map((n) => backoffDelay(p, n)), [100, 200, 400, 800]);
  t.equal(backoffDelay(p, 40), 30_000, 'capped, even for huge attempt numbers');
  t.same([1, 2, 3].map((n) => backoffDelay({ ...p, factor: 3 }, n)), [100, 300, 900]);
});

t.test('equal jitter draws from [d/2, d): spread out, never immediate', async (t) => {
  const p = { initialMs: 1000, maxMs: 60_000, jitter: 'equal' as const };
  t.equal(backoffDelay(p, 1, () => 0), 500);
  t.equal(backoffDelay(p, 1, () => 0.5), 750);
  t.equal(backoffDelay(p, 2, () => 0.999999), 2000);
});

t.test('a fractional jitter stays within +/- the fraction and under the cap; Backoff walks and resets', async (t) => {
  const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0.2 }, () => 0.999999);
  t.same([b.next(), b.next(), b.next(), b.next(), b.next()], [120, 240, 480, 960, 1000]);
  t.equal(b.attempts, 5);
  b.reset();
  t.equal(b.next(), 120);
});
