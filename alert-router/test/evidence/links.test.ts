/**
 * Evidence pictures behind signed links, on the real stack: the picture is put into SeaweedFS by
 * the box's own identity (as the gateway's uploader does), the router reads it with its read-only
 * identity, PostgreSQL keeps every link and view. Also: what each store identity may do, the
 * bucket's lifecycle rule, and that no secret (S3 keys, link-signing key) reaches a log line.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { GetBucketLifecycleConfigurationCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createLogger, createS3Client, resolveObjectStore } from '@streetwatch/platform';
import { stackObjectStore, stackObjectStoreConfig, stackS3Client, testKafka, type TeardownHost } from '@streetwatch/platform/testing';
import sharp from 'sharp';
import t from 'tap';
import { ROUTER_REDACT_PATHS } from '../../src/config/secrets.js';
import { alertFor, auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;
const SIGNING_KEY = randomBytes(32).toString('base64url');

/** A real JPEG put under `edge/box-a/` by box-a's identity; its EvidenceRef. */
async function uploadPicture(t: TeardownHost): Promise<{ key: string; sha256: string; bytes: number; contentType: 'image/jpeg'; cameraId: string; body: Buffer }> {
  const body = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .composite([{ input: randomBytes(64 * 48 * 3), raw: { width: 64, height: 48, channels: 3 }, blend: 'overlay' }])
    .jpeg()
    .toBuffer();
  const key = `edge/box-a/2026-11-26/${randomUUID()}.jpg`;
  const { s3, bucket } = stackS3Client(t, 'box-a');
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
  return { key, sha256: createHash('sha256').update(body).digest('hex'), bytes: body.length, contentType: 'image/jpeg', cameraId: 'cam-03', body };
}

async function link(h: Harness, id: string, token: string, index = 0): Promise<{ status: number; body: Json }> {
  const res = await h.app.inject({ method: 'POST', url: `/api/work-orders/${id}/evidence/${index}/link?channel=console`, headers: auth(token) });
  return { status: res.statusCode, body: JSON.parse(res.body) as Json };
}

async function view(h: Harness, url: string): Promise<{ status: number; body: Buffer; headers: Json }> {
  const res = await h.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { 'user-agent': 'tap-test' } });
  return { status: res.statusCode, body: res.rawPayload, headers: res.headers };
}

const views = async (h: Harness): Promise<Json[]> => (await h.pool.query('SELECT link_id, work_order_id, subject, channel, viewed_at, user_agent, bytes FROM evidence_views ORDER BY id')).rows;

t.test('evidence links', async (t) => {
  const kafka = await testKafka(t, { label: 'evidence-links' });

  t.test("a department user's link shows the picture, is refused once expired, and every view is audited", async (t) => {
    const h = await harness(t, kafka, {}, { evidence: { signingKey: SIGNING_KEY } });
    const pic = await uploadPicture(t);
    const { body: jpeg, ...ref } = pic;
    const order = await h.wo.dispatch(alertFor({ evidence: [ref] }), 'dept-a');

    const detail = await h.app.inject({ method: 'GET', url: `/api/work-orders/${order.workOrderId}`, headers: auth(TOKENS.aStaff) });
    t.match(JSON.parse(detail.body).evidence, [{ index: 0, stored: true, sha256: ref.sha256 }], 'the order lists its picture without any address');
    t.notMatch(detail.body, /edge\/box-a/, 'no object key or store address in the API');

    const issued = await link(h, order.workOrderId, TOKENS.aStaff);
    t.equal(issued.status, 200);
    t.match(issued.body.url, /^https:\/\/sw\.test\/e\/[0-9a-z]+\.[A-Za-z0-9_-]{16}$/, 'a short link under the public base');
    t.ok(issued.body.url.length <= 60, `short enough for an SMS (${issued.body.url.length} chars)`);
    t.equal(Date.parse(issued.body.expiresAt) - h.clock.now(), 5 * 60_000, 'console links live 5 minutes');

    const first = await view(h, issued.body.url);
    t.equal(first.status, 200);
    t.equal(first.headers['content-type'], 'image/jpeg');
    t.ok(first.body.equals(jpeg), 'the very bytes the box uploaded');
    t.match(first.headers['cache-control'], /^private/);
    const again = await view(h, issued.body.url);
    t.equal(again.status, 200, 'viewable again until it expires');

    h.clock.advance(5 * 60_000 + 1000);
    const late = await view(h, issued.body.url);
    t.equal(late.status, 410);
    t.equal(JSON.parse(late.body.toString()).error.code, 'SW_ROUTER_EVIDENCE_LINK_EXPIRED');

    const audit = await views(h);
    t.equal(audit.length, 2, 'two views, the refused one is not a view');
    t.match(audit[0], { work_order_id: order.workOrderId, subject: 'li.staff', channel: 'console', user_agent: 'tap-test', bytes: jpeg.length });
    const linkRows = (await h.pool.query('SELECT subject, role, channel, department_id, object_key FROM evidence_links')).rows;
    t.same(linkRows, [{ subject: 'li.staff', role: 'staff', channel: 'console', department_id: 'dept-a', object_key: ref.key }], 'the issue is recorded too');
    const apiAudit = (await h.pool.query("SELECT user_id, work_order_id FROM api_audit WHERE action = 'evidence_link'")).rows;
    t.same(apiAudit, [{ user_id: 'li.staff', work_order_id: order.workOrderId }]);
  });

  t.test("another department's order gets no link (404 as if missing); forged, pending and tampered pictures are refused", async (t) => {
    const h = await harness(t, kafka, {}, { evidence: { signingKey: SIGNING_KEY } });
    const pic = await uploadPicture(t);
    const { body: _b, ...ref } = pic;
    const order = await h.wo.dispatch(alertFor({ evidence: [ref] }), 'dept-a');

    const foreign = await link(h, order.workOrderId, TOKENS.bHead);
    t.equal(foreign.status, 404);
    t.equal(foreign.body.error.code, 'SW_ROUTER_WO_NOT_FOUND', 'indistinguishable from a missing order');
    t.equal((await link(h, order.workOrderId, TOKENS.sup)).status, 200, 'the supervisor sees every department');
    t.equal((await link(h, order.workOrderId, TOKENS.aStaff, 3)).body.error.code, 'SW_ROUTER_EVIDENCE_NOT_FOUND', 'no such picture');
    const none = await h.app.inject({ method: 'POST', url: `/api/work-orders/${order.workOrderId}/evidence/0/link` });
    t.equal(none.statusCode, 401, 'no bearer token, no link');

    const good = (await link(h, order.workOrderId, TOKENS.aStaff)).body.url as string;
    const [id, sig] = new URL(good).pathname.slice(3).split('.') as [string, string];
    const forged = [`${id}.${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, `${(parseInt(id, 36) + 1).toString(36)}.${sig}`, 'zz', `${id}`];
    for (const token of forged) {
      const r = await h.app.inject({ method: 'GET', url: `/e/${token}` });
      t.equal(r.statusCode, 404, `forged token ${token}`);
      t.equal(JSON.parse(r.body).error.code, 'SW_ROUTER_EVIDENCE_LINK_INVALID');
    }

    const pendingRef = { ...ref, key: `edge/box-a/2026-11-26/${randomUUID()}.jpg` };
    const pending = await h.wo.dispatch(alertFor({ evidence: [pendingRef] }), 'dept-a');
    const p = await view(h, (await link(h, pending.workOrderId, TOKENS.aStaff)).body.url);
    t.equal(p.status, 404);
    t.equal(JSON.parse(p.body.toString()).error.code, 'SW_ROUTER_EVIDENCE_PENDING', 'not uploaded yet: says so');

    const tampered = await h.wo.dispatch(alertFor({ evidence: [{ ...ref, sha256: 'f'.repeat(64) }] }), 'dept-a');
    const x = await view(h, (await link(h, tampered.workOrderId, TOKENS.aStaff)).body.url);
    t.equal(x.status, 502);
    t.equal(JSON.parse(x.body.toString()).error.code, 'SW_ROUTER_EVIDENCE_CORRUPT', 'bytes that do not match the event are never shown');
    t.same(await views(h), [], 'no view was served');
  });

  t.test('a channel link (robot picurl, SMS) is issued at send time with its own lifetime and audited as the channel', async (t) => {
    const h = await harness(t, kafka, {}, { evidence: { signingKey: SIGNING_KEY } });
    const { body: jpeg, ...ref } = await uploadPicture(t);
    const alert = alertFor({ evidence: [ref] });
    const order = await h.wo.dispatch(alert, 'dept-a');
    const url = await h.links?.forNotification([{ alert, workOrderId: order.workOrderId }], 'dept-a', 'robot', 'ding-a');
    if (!url) return t.fail('a link');
    const row = (await h.pool.query('SELECT channel, subject, EXTRACT(EPOCH FROM expires_at - issued_at)::int AS ttl FROM evidence_links')).rows[0] as Json;
    t.match(row, { channel: 'robot', subject: 'robot:ding-a' });
    t.equal(row.ttl, 24 * 3600, 'robot links live 24 hours');
    const v = await view(h, url);
    t.ok(v.body.equals(jpeg));
    t.match(await views(h), [{ subject: 'robot:ding-a', channel: 'robot' }]);
    const legacy = alertFor({ evidence: [{ url: 'http://gw-old:8080/evidence/x.jpg', sha256: ref.sha256, contentType: 'image/jpeg', bytes: ref.bytes }] });
    t.equal(await h.links?.forNotification([{ alert: legacy, workOrderId: order.workOrderId }], 'dept-a', 'sms', 'sms-a'), undefined, 'a picture that stayed on an old box gets no link');
  });

  t.test('store identities: a box may only PUT under its own prefix, the router only read; the bucket keeps pictures as long as work orders', async (t) => {
    const box = stackS3Client(t, 'box-a');
    const router = stackS3Client(t, 'router');
    const admin = stackS3Client(t, 'admin');
    const put = (c: typeof box, key: string) => c.s3.send(new PutObjectCommand({ Bucket: c.bucket, Key: key, Body: Buffer.from('x'), ContentType: 'image/jpeg' }));
    const code = async (p: Promise<unknown>): Promise<string> => p.then(() => 'OK', (e: { name?: string }) => e.name ?? 'error');
    const own = `edge/box-a/${randomUUID()}.jpg`;
    t.equal(await code(put(box, own)), 'OK', 'box-a PUTs under edge/box-a/');
    t.equal(await code(put(box, `edge/box-b/${randomUUID()}.jpg`)), 'AccessDenied', "not under another box's prefix");
    t.equal(await code(box.s3.send(new GetObjectCommand({ Bucket: box.bucket, Key: own }))), 'AccessDenied', 'a box cannot read, not even its own pictures');
    t.equal(await code(router.s3.send(new GetObjectCommand({ Bucket: router.bucket, Key: own }))), 'OK', 'the router reads');
    t.equal(await code(put(router, `edge/box-a/${randomUUID()}.jpg`)), 'AccessDenied', 'the router cannot write');
    const lc = await admin.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: admin.bucket }));
    t.match(lc.Rules, [{ Status: 'Enabled', Expiration: { Days: 760 }, Filter: { Prefix: 'edge/' } }], 'lifecycle: evidence expires 760 days after upload (work orders: 730 days after they finish)');
  });

  t.test('no secret reaches the logs: S3 keys and the link-signing key are redacted', async (t) => {
    const lines: string[] = [];
    const sink = new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) });
    const log = createLogger({ name: 'alert-router', level: 'debug', redact: ROUTER_REDACT_PATHS, destination: sink });
    const store = stackObjectStore('router');
    const errors: Array<{ path: string; message: string }> = [];
    const resolved = resolveObjectStore(stackObjectStoreConfig('router'), '/evidence/store', { env: { ...process.env, STREETWATCH_S3_ROUTER_SECRET_KEY: '' } }, errors);
    t.equal(resolved, undefined);
    t.match(errors, [{ path: '/evidence/store/secretAccessKeyEnv', message: 'environment variable STREETWATCH_S3_ROUTER_SECRET_KEY is empty' }], 'a missing secret names its variable');
    // what a careless log line could carry: the resolved store, a config with the key, an S3 error
    const s3 = createS3Client({ ...store, credentials: { accessKeyId: store.credentials.accessKeyId, secretAccessKey: 'not-the-key' } });
    t.teardown(() => s3.destroy());
    const err = await s3.send(new GetObjectCommand({ Bucket: store.bucket, Key: 'edge/x.jpg' })).catch((e: unknown) => e);
    log.info({ store, evidence: { signingKey: SIGNING_KEY, store: { secretAccessKey: store.credentials.secretAccessKey } } }, 'config');
    log.error({ err }, 'store refused');
    t.equal(store.credentials.secretAccessKey, process.env.STREETWATCH_S3_ROUTER_SECRET_KEY, 'logging did not touch the live credentials');
    const h = await harness(t, kafka, {}, { log, evidence: { signingKey: SIGNING_KEY } });
    const { body: _b, ...ref } = await uploadPicture(t);
    const order = await h.wo.dispatch(alertFor({ evidence: [ref] }), 'dept-a');
    await view(h, (await link(h, order.workOrderId, TOKENS.aStaff)).body.url);
    const text = lines.join('');
    t.ok(text.includes('store refused') && text.includes('"msg":"config"'), 'the lines were written');
    for (const [name, secret] of [
      ['router S3 secret key', store.credentials.secretAccessKey],
      ['link-signing key', SIGNING_KEY],
      ['edge S3 secret key', process.env.STREETWATCH_S3_EDGE_BOX_A_SECRET_KEY as string],
    ] as const) {
      t.ok(secret.length >= 16 && !text.includes(secret), `${name} never appears`);
    }
  });
});
