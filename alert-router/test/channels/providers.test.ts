import t, { type Test } from 'tap';
import { createLogger } from '@streetwatch/platform';
import { exampleAlert } from '@streetwatch/schemas';
import { renderNotification, withRef } from '../../src/channels/render.js';
import { createChannel } from '../../src/channels/registry.js';
import type { Channel } from '../../src/channels/types.js';
import type { ChannelConfig } from '../../src/config/schema.js';
import { ROUTER_REDACT_PATHS, secretResolver } from '../../src/config/secrets.js';
import { ChannelError } from '../../src/channels/errors.js';
import { ManualClock } from '@streetwatch/platform';
import { ALIYUN_THROTTLED, startFakeAliyun } from '../support/fake-aliyun/index.js';
import { DINGTALK_TOO_FAST, startFakeDingtalk, startFakeWecom, WECOM_FREQ_LIMIT } from '../support/fake-robots/index.js';
import { startFakeTencent, TENCENT_THROTTLED } from '../support/fake-tencent/index.js';
import { startFakeWebhook, TOO_MANY } from '../support/fake-webhook/index.js';

const SECRETS = {
  ALIYUN_SECRET: 'aliyun-secret-Ab*~ 1',
  TENCENT_KEY: 'tencent-secret-key',
  DING_TOKEN: 'ding-token-123',
  DING_SECRET: 'SEC0123456789abcdef',
  WECOM_KEY: '693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa',
  HOOK_SECRET: 'hook-secret',
  WRONG: 'not-the-secret',
};
const silent = createLogger({ name: 't', level: 'silent' });
const clock = new ManualClock(Date.now());

/** The links the channels asked for (the issuer itself is tested in test/evidence/links.test.ts). */
const linkRequests: string[] = [];
const evidenceLinks = {
  forNotification: async (_items: unknown, departmentId: string, channel: string, name: string) => {
    linkRequests.push(`${departmentId} ${channel} ${name}`);
    return 'https://sw.test/e/1k.AbCdEfGhIjKlMnOp';
  },
};

function build(name: string, cfg: ChannelConfig, env = SECRETS): Channel {
  return createChannel(name, cfg, { log: silent, clock, resolveSecret: secretResolver(env), evidenceLinks });
}

const msg = (key: string) =>
  withRef(
    renderNotification({
      departmentId: 'chengguan-grid-3',
      departmentName: '城管执法中队',
      target: 'department',
      items: [{ alert: exampleAlert(), workOrderId: 'wo-1' }],
      phones: ['+8613800000001', '+8613800000002'],
    }),
    key,
  );

async function rejects(t: Test, p: Promise<unknown>, code: string, retryable: boolean, providerCode?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  t.type(e, ChannelError, `fails with a ChannelError (${code})`);
  t.match(e, { code, retryable, ...(providerCode ? { providerCode } : {}) });
}

t.test('Aliyun SendSms: a signed GET and a signed POST are accepted; a wrong secret gets SignatureDoesNotMatch; throttling is retryable', async (t) => {
  const fake = await startFakeAliyun(t, { accessKeyId: 'LTAI-test', secret: SECRETS.ALIYUN_SECRET });
  const cfg = (method: 'GET' | 'POST', envName = 'ALIYUN_SECRET'): ChannelConfig => ({
    type: 'sms-aliyun', endpoint: `${fake.url}/`, method, accessKeyId: 'LTAI-test', accessKeySecretEnv: envName, signName: '小河街道', templateCode: 'SMS_123',
  });
  const r = await build('sms', cfg('GET')).send(msg('dk-aaa'), 'dk-aaa');
  t.match(r.providerMessageId, /\^0$/, 'BizId returned as the provider message id');
  await build('sms', cfg('POST')).send(msg('dk-bbb'), 'dk-bbb');
  t.same([...fake.accepted.keys()], ['dk-aaa', 'dk-bbb'], 'OutId carries our idempotency key');
  await rejects(t, build('sms', cfg('GET', 'WRONG')).send(msg('dk-ccc'), 'dk-ccc'), 'SW_ROUTER_PROVIDER_AUTH', false, 'SignatureDoesNotMatch');
  t.match(fake.seen.at(-1), { verified: false, reason: 'signature' });
  fake.failNext(1, ALIYUN_THROTTLED);
  await rejects(t, build('sms', cfg('GET')).send(msg('dk-ddd'), 'dk-ddd'), 'SW_ROUTER_PROVIDER_THROTTLED', true, 'isv.BUSINESS_LIMIT_CONTROL');
});

t.test('Tencent SendSms 2021-01-11: TC3 signed request accepted; wrong key gets AuthFailure.SignatureFailure; RequestLimitExceeded retryable', async (t) => {
  const fake = await startFakeTencent(t, { secretId: 'AKID-test', secretKey: SECRETS.TENCENT_KEY });
  const cfg = (envName = 'TENCENT_KEY'): ChannelConfig => ({
    type: 'sms-tencent', endpoint: fake.url, secretId: 'AKID-test', secretKeyEnv: envName, smsSdkAppId: '1400000000', signName: '小河街道', templateId: '449739',
  });
  const r = await build('tsms', cfg()).send(msg('dk-t1'), 'dk-t1');
  t.match(r.providerMessageId, /^2028:.*,2028:/, 'one SerialNo per phone');
  t.same([...fake.accepted.keys()], ['dk-t1'], 'SessionContext carries our idempotency key');
  await rejects(t, build('tsms', cfg('WRONG')).send(msg('dk-t2'), 'dk-t2'), 'SW_ROUTER_PROVIDER_AUTH', false, 'AuthFailure.SignatureFailure');
  fake.failNext(1, TENCENT_THROTTLED);
  await rejects(t, build('tsms', cfg()).send(msg('dk-t3'), 'dk-t3'), 'SW_ROUTER_PROVIDER_THROTTLED', true, 'RequestLimitExceeded');
});

t.test('DingTalk robot: markdown with the evidence picture, 加签 accepted; wrong secret → 310000; too fast → 130101 retryable', async (t) => {
  const fake = await startFakeDingtalk(t, { accessToken: SECRETS.DING_TOKEN, secret: SECRETS.DING_SECRET });
  const cfg = (envName = 'DING_SECRET'): ChannelConfig => ({
    type: 'dingtalk', endpoint: `${fake.url}/robot/send`, accessTokenEnv: 'DING_TOKEN', signSecretEnv: envName,
  });
  await build('ding', cfg()).send(msg('dk-d1'), 'dk-d1');
  t.match(fake.messages[0]?.text, /!\[证据 evidence\]\(https:\/\/sw\.test\/e\/1k\.AbCdEfGhIjKlMnOp\)/, 'the picture through a signed link issued at send time');
  t.equal(linkRequests.at(-1), 'chengguan-grid-3 robot ding');
  t.same([...fake.accepted.keys()], ['dk-d1']);
  await rejects(t, build('ding', cfg('WRONG')).send(msg('dk-d2'), 'dk-d2'), 'SW_ROUTER_PROVIDER_AUTH', false, '310000');
  fake.failNext(1, DINGTALK_TOO_FAST);
  await rejects(t, build('ding', cfg()).send(msg('dk-d3'), 'dk-d3'), 'SW_ROUTER_PROVIDER_THROTTLED', true, '130101');
});

t.test('WeCom robot: markdown and news accepted; a wrong key → 93000; 45009 retryable', async (t) => {
  const fake = await startFakeWecom(t, { key: SECRETS.WECOM_KEY });
  const cfg = (msgtype: 'markdown' | 'news', envName = 'WECOM_KEY'): ChannelConfig => ({
    type: 'wecom', endpoint: `${fake.url}/cgi-bin/webhook/send`, keyEnv: envName, msgtype,
  });
  await build('wx', cfg('markdown')).send(msg('dk-w1'), 'dk-w1');
  await build('wx', cfg('news')).send(msg('dk-w2'), 'dk-w2');
  t.match(fake.messages[1], { msgtype: 'news', news: { articles: [{ picurl: 'https://sw.test/e/1k.AbCdEfGhIjKlMnOp' }] } });
  await rejects(t, build('wx', cfg('markdown', 'WRONG')).send(msg('dk-w3'), 'dk-w3'), 'SW_ROUTER_PROVIDER_AUTH', false, '93000');
  fake.failNext(1, WECOM_FREQ_LIMIT);
  await rejects(t, build('wx', cfg('markdown')).send(msg('dk-w4'), 'dk-w4'), 'SW_ROUTER_PROVIDER_THROTTLED', true, '45009');
});

t.test('generic webhook: HMAC-signed body accepted; wrong secret → 401 not retryable; 429 carries Retry-After', async (t) => {
  const fake = await startFakeWebhook(t, { secret: SECRETS.HOOK_SECRET });
  const cfg = (envName = 'HOOK_SECRET'): ChannelConfig => ({ type: 'webhook', url: `${fake.url}/hook`, signSecretEnv: envName });
  await build('hook', cfg()).send(msg('dk-h1'), 'dk-h1');
  t.match(fake.bodies[0], { idempotencyKey: 'dk-h1', departmentId: 'chengguan-grid-3', alerts: [{ alertId: 'alert-3f2a9c0d1e', workOrderId: 'wo-1' }] });
  await rejects(t, build('hook', cfg('WRONG')).send(msg('dk-h2'), 'dk-h2'), 'SW_ROUTER_PROVIDER_AUTH', false);
  fake.failNext(1, TOO_MANY(7));
  const e = await build('hook', cfg()).send(msg('dk-h3'), 'dk-h3').catch((err: unknown) => err);
  t.match(e, { code: 'SW_ROUTER_PROVIDER_THROTTLED', retryable: true, retryAfterMs: 7000 });
});

t.test('SMS quotas: per number and per template in a sliding window, with the wait until a slot frees', async (t) => {
  const fake = await startFakeAliyun(t, { accessKeyId: 'LTAI-test', secret: SECRETS.ALIYUN_SECRET });
  const ch = build('sms', {
    type: 'sms-aliyun', endpoint: `${fake.url}/`, accessKeyId: 'LTAI-test', accessKeySecretEnv: 'ALIYUN_SECRET', signName: 's', templateCode: 'SMS_1',
    quota: { perNumber: { limit: 2, window: '1m' }, perTemplate: { limit: 100, window: '1h' } },
  });
  clock.set(Date.parse('2026-11-26T06:00:00Z'));
  await ch.send(msg('dk-q1'), 'dk-q1');
  clock.advance(10_000);
  await ch.send(msg('dk-q2'), 'dk-q2');
  const e = await ch.send(msg('dk-q3'), 'dk-q3').catch((err: unknown) => err);
  t.match(e, { code: 'SW_ROUTER_QUOTA_EXCEEDED', retryable: true, retryAfterMs: 50_000 }, 'third within a minute waits for the first to leave the window');
  t.equal(fake.verifiedCount(), 2, 'the provider never saw the over-quota send');
  clock.advance(50_000);
  await ch.send(msg('dk-q3'), 'dk-q3');
  t.equal(fake.verifiedCount(), 3);
});

t.test('secrets never reach the logs: config objects and errors are redacted', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ name: 't', redact: ROUTER_REDACT_PATHS, destination: { write: (s: string) => void lines.push(s) } });
  const resolve = secretResolver(SECRETS);
  const live = { channel: { accessKeySecret: resolve({ accessKeySecretEnv: 'ALIYUN_SECRET' }, 'accessKeySecret', '/channels/sms'), signSecret: SECRETS.DING_SECRET, accessToken: SECRETS.DING_TOKEN } };
  log.info(live, 'channel ready');
  log.info({ secretKey: SECRETS.TENCENT_KEY, signSecret: SECRETS.HOOK_SECRET }, 'top-level fields');
  log.error({ err: new ChannelError('SW_ROUTER_PROVIDER_AUTH', 'Aliyun SignatureDoesNotMatch', { retryable: false }) }, 'send failed');
  const all = lines.join('\n');
  for (const s of [SECRETS.ALIYUN_SECRET, SECRETS.DING_SECRET, SECRETS.DING_TOKEN, SECRETS.TENCENT_KEY, SECRETS.HOOK_SECRET]) {
    t.notOk(all.includes(s), `secret ${s.slice(0, 6)}... not logged`);
  }
  t.match(all, /"\*\*\*"/, 'redacted fields are censored, not dropped silently');
  t.throws(() => resolve({ signSecretEnv: 'MISSING' }, 'signSecret', '/channels/duty'), {
    code: 'SW_ROUTER_SECRET_MISSING',
    message: 'channels.duty.signSecretEnv: environment variable MISSING is not set',
  }, 'a missing secret names its config path and the variable');
  t.throws(() => resolve({ signSecretEnv: 'HOOK_SECRET', signSecretFile: '/run/s' }, 'signSecret', '/channels/duty'), {
    message: /channels\.duty\.signSecretFile: set one of signSecretEnv, signSecretFile/,
  }, 'both keys set: refused, naming both');
});
