import t from 'tap';
import { waitFor } from '@streetwatch/platform/testing';
import { exampleAlert, type Alert } from '@streetwatch/schemas';
import { ALIYUN_THROTTLED, startFakeAliyun } from '../support/fake-aliyun/index.js';
import { startFakeDingtalk } from '../support/fake-robots/index.js';
import { startFakeTencent } from '../support/fake-tencent/index.js';
import { startFakeWebhook, TOO_MANY, UNAVAILABLE } from '../support/fake-webhook/index.js';
import { renderNotification } from '../../src/channels/render.js';
import { deliveryKey } from '../../src/delivery/store.js';
import { harness, states } from './harness.js';

const ENV = { ALIYUN: 'ali-secret', TENCENT: 'tc-secret', HOOK: 'hook-secret', DING_TOKEN: 'tok', DING: 'SECding', WRONG: 'wrong' };
const T0 = Date.parse('2026-11-26T06:00:00.000Z');
const alert = (id: string): Alert => exampleAlert({ alertId: id, createdAt: new Date().toISOString() });

async function attempts(pool: import('@streetwatch/platform').Pool, key: string): Promise<string[]> {
  const r = await pool.query<{ outcome: string }>('SELECT outcome FROM router_delivery_attempts WHERE idempotency_key = $1 ORDER BY id', [key]);
  return r.rows.map((x) => x.outcome);
}

t.test('provider throttling → backoff with jitter → fallback channel after N failures', async (t) => {
  const ali = await startFakeAliyun(t, { accessKeyId: 'LTAI', secret: ENV.ALIYUN });
  const tc = await startFakeTencent(t, { secretId: 'AKID', secretKey: ENV.TENCENT });
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['sms'], phones: ['+8613800000001'] } },
      channels: {
        sms: { type: 'sms-aliyun', endpoint: `${ali.url}/`, accessKeyId: 'LTAI', accessKeySecretEnv: 'ALIYUN', signName: 's', templateCode: 'SMS_1', fallback: 'tsms', fallbackAfter: 2 },
        tsms: { type: 'sms-tencent', endpoint: tc.url, secretId: 'AKID', secretKeyEnv: 'TENCENT', smsSdkAppId: '1400', signName: 's', templateId: '1' },
      },
      routing: { route: { departments: ['cg'] } },
      delivery: { backoff: { initial: '1s', max: '1m', factor: 2 } },
    },
    { env: ENV },
  );
  h.clock.set(T0);
  ali.failAlways(ALIYUN_THROTTLED);
  await h.pipeline.router.ingest([{ alert: alert('thr-1') }]);
  await h.pipeline.tick();
  const row = await h.pool.query<{ idempotency_key: string; state: string; next_attempt_at: Date }>('SELECT * FROM router_deliveries');
  t.match(row.rows[0], { state: 'retrying' });
  t.equal(row.rows[0]?.next_attempt_at.getTime(), T0 + 750, 'backoff: 1 s x jitter factor (0.5 + 0.5/2)');
  h.clock.advance(749);
  await h.pipeline.tick();
  t.equal(ali.seen.length, 1, 'not retried before the backoff elapsed');
  h.clock.advance(1);
  await h.pipeline.tick();
  t.equal(ali.seen.length, 2, 'retried once the backoff elapsed');
  const key = row.rows[0]?.idempotency_key as string;
  t.same(await attempts(h.pool, key), ['intent', 'retrying', 'intent', 'failed'], 'second throttle moves it to the fallback');
  t.same(await states(h.pool), { failed: 1, sent: 1 });
  const fb = await h.pool.query<{ idempotency_key: string; channel_name: string; fallback_of: string }>("SELECT * FROM router_deliveries WHERE state = 'sent'");
  t.match(fb.rows[0], { channel_name: 'tsms', fallback_of: key });
  t.same([...tc.accepted.keys()], [fb.rows[0]?.idempotency_key], 'Tencent got it, with the fallback key as SessionContext');
});

t.test('HTTP 429 Retry-After is honoured before the next attempt', async (t) => {
  const hook = await startFakeWebhook(t, { secret: ENV.HOOK });
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['hook'] } },
      channels: { hook: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK' } },
      routing: { route: { departments: ['cg'] } },
    },
    { env: ENV },
  );
  h.clock.set(T0);
  hook.failNext(1, TOO_MANY(30));
  await h.pipeline.router.ingest([{ alert: alert('ra-1') }]);
  await h.pipeline.tick();
  h.clock.advance(29_999);
  await h.pipeline.tick();
  t.equal(hook.accepted.size, 0, 'not retried before Retry-After');
  h.clock.advance(1);
  await h.pipeline.tick();
  t.equal(hook.accepted.size, 1, 'delivered once Retry-After passed');
  t.same(await states(h.pool), { sent: 1 });
});

t.test('the circuit opens after repeated failures; later deliveries go straight to the fallback', async (t) => {
  const hook = await startFakeWebhook(t, { secret: ENV.HOOK });
  const ding = await startFakeDingtalk(t, { accessToken: ENV.DING_TOKEN, secret: ENV.DING });
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['hook'] } },
      channels: {
        hook: {
          type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK', fallback: 'ding', fallbackAfter: 10, maxAttempts: 10, concurrency: 1,
          circuit: { volumeThreshold: 3, errorThresholdPercentage: 50, reset: '1h' },
        },
        ding: { type: 'dingtalk', endpoint: `${ding.url}/robot/send`, accessTokenEnv: 'DING_TOKEN', signSecretEnv: 'DING' },
      },
      routing: { route: { departments: ['cg'] } },
    },
    { env: ENV },
  );
  h.clock.set(T0);
  hook.failAlways(UNAVAILABLE);
  await h.pipeline.router.ingest(['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((id) => ({ alert: alert(id) })));
  await h.pipeline.tick();
  t.equal(h.pipeline.engine.circuitState('hook'), 'open');
  t.equal(hook.seen.length, 3, 'the provider saw only the calls that opened the circuit');
  h.clock.advance(60_000);
  await h.pipeline.tick();
  t.equal(hook.seen.length, 3, 'retries while open do not reach the provider');
  t.equal(ding.accepted.size, 6, 'every alert reached the fallback robot');
  t.same(await states(h.pool), { failed: 6, sent: 6 });
});

t.test('a permanent error is dead at once; a lasting transient one after maxAttempts', async (t) => {
  const hook = await startFakeWebhook(t, { secret: ENV.HOOK });
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['bad', 'flaky'] } },
      channels: {
        bad: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'WRONG' },
        flaky: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK', maxAttempts: 3, circuit: { volumeThreshold: 100 } },
      },
      routing: { route: { departments: ['cg'] } },
    },
    { env: ENV },
  );
  h.clock.set(T0);
  hook.failAlways(UNAVAILABLE);
  await h.pipeline.router.ingest([{ alert: alert('d1') }]);
  for (let i = 0; i < 3; i++) {
    await h.pipeline.tick();
    h.clock.advance(60_000);
  }
  const rows = await h.pool.query<{ channel_name: string; state: string; attempts: number; last_error_code: string }>(
    'SELECT channel_name, state, attempts, last_error_code FROM router_deliveries ORDER BY channel_name',
  );
  t.match(rows.rows, [
    { channel_name: 'bad', state: 'dead', attempts: 1, last_error_code: 'SW_ROUTER_PROVIDER_AUTH' },
    { channel_name: 'flaky', state: 'dead', attempts: 3, last_error_code: 'SW_ROUTER_PROVIDER_UNAVAILABLE' },
  ]);
});

t.test('an intent left in flight by a dead process is marked uncertain, then resent with the same key (or held)', async (t) => {
  const hook = await startFakeWebhook(t, { secret: ENV.HOOK });
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['hook', 'held'] } },
      channels: {
        hook: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK' },
        held: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK', onUncertain: 'hold' },
      },
      routing: { route: { departments: ['cg'] } },
      delivery: { timeout: '2s', leaseGrace: '3s' },
    },
    { env: ENV },
  );
  h.clock.set(T0);
  // Intents as a flush writes them (written directly so the engine does not pick them up first).
  const intents = ['hook', 'held'].map((ch) => {
    const key = deliveryKey('test-uncertain', ch);
    const a = alert('u1');
    return {
      key, notificationKey: deliveryKey('test-uncertain'), alertId: 'u1', alertIds: ['u1'], departmentId: 'cg', channelName: ch, channelType: 'webhook',
      target: 'department', nextAttemptAt: T0,
      message: renderNotification({ departmentId: 'cg', departmentName: 'CG', target: 'department', items: [{ alert: a }], phones: [] }),
    };
  });
  await h.pipeline.store.insert(h.pool, intents, T0);
  // What a process that dies mid-call leaves behind: both intents claimed, no outcome.
  const claimed = [...(await h.pipeline.store.claim('hook', 10, T0, 5000)), ...(await h.pipeline.store.claim('held', 10, T0, 5000))];
  t.equal(claimed.length, 2);
  h.clock.advance(4999);
  await h.pipeline.tick();
  t.equal(hook.seen.length, 0, 'nothing is touched while the lease runs');
  h.clock.advance(1);
  await h.pipeline.tick();
  const hookRow = claimed.find((c) => c.channelName === 'hook')!;
  t.same([...hook.accepted.entries()], [[hookRow.key, 1]], 'resent once, with the same idempotency key');
  t.same(await attempts(h.pool, hookRow.key), ['intent', 'uncertain', 'intent', 'sent']);
  const rows = await h.pool.query<{ channel_name: string; state: string; uncertain: boolean }>(
    'SELECT channel_name, state, uncertain FROM router_deliveries ORDER BY channel_name',
  );
  t.same(rows.rows, [
    { channel_name: 'held', state: 'held', uncertain: true },
    { channel_name: 'hook', state: 'sent', uncertain: true },
  ]);
});

t.test('close() stops intake and waits for in-flight sends to be recorded before returning', async (t) => {
  const hook = await startFakeWebhook(t, { secret: ENV.HOOK });
  hook.delayMs = 300;
  const h = await harness(
    t,
    {
      departments: { cg: { name: 'CG', channels: ['hook'] } },
      channels: { hook: { type: 'webhook', url: `${hook.url}/hook`, signSecretEnv: 'HOOK' } },
      routing: { route: { departments: ['cg'] } },
    },
    { env: ENV },
  );
  await h.pipeline.router.ingest([{ alert: alert('g1') }, { alert: alert('g2') }]);
  await h.pipeline.router.idle();
  await waitFor('both calls in flight', async () => (await states(h.pool)).inflight === 2, { timeoutMs: 5000, intervalMs: 10 });
  await h.pipeline.close();
  t.same(await states(h.pool), { sent: 2 }, 'outcomes recorded: nothing left for recovery to mark uncertain');
  await h.pipeline.close(); // idempotent
});
