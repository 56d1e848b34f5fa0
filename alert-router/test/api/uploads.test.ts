import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { parseConfig } from '@streetwatch/platform';
import { RetentionConfig } from '../../src/config/schema.js';
import { RetentionJob } from '../../src/retention/job.js';
import { ManualClock } from '@streetwatch/platform';
import t from 'tap';
import { stackSettings } from '@streetwatch/platform';
import { testKafka } from '@streetwatch/platform/testing';
import { alertFor, auth, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;

const videoDir = stackSettings().videoDir ?? '/root/.cache/streetwatch/opencv-doc/data';
const JPEG = readFileSync(join(videoDir, 'licenseplate_motion.jpg')); // a real photo of a car
const PNG = readFileSync(join(videoDir, 'box.png'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body as a browser would send it (undici's FormData encoder). */
async function form(fields: Record<string, string>, files: Array<{ name: string; type: string; data: Buffer }>) {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  for (const f of files) fd.append('photo', new Blob([f.data], { type: f.type }), f.name);
  const req = new Request('http://local/upload', { method: 'POST', body: fd });
  return { payload: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type') as string };
}

async function upload(h: Harness, id: string, token: string, path: string, fields: Record<string, string>, files: Parameters<typeof form>[1], key?: string) {
  const f = await form(fields, files);
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/work-orders/${id}/${path}`,
    headers: { ...auth(token), 'content-type': f.contentType, ...(key ? { 'idempotency-key': key } : {}) },
    payload: f.payload,
  });
  return { status: res.statusCode, replayed: res.headers['idempotent-replayed'], body: JSON.parse(res.body) as Json };
}

async function post(h: Harness, id: string, path: string, token: string, body: Json, key?: string) {
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/work-orders/${id}/${path}`,
    headers: { ...auth(token), ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });
  return { status: res.statusCode, replayed: res.headers['idempotent-replayed'], body: JSON.parse(res.body) as Json };
}

const historyOf = async (h: Harness, id: string) =>
  (await h.pool.query<{ action: string }>('SELECT action FROM work_order_history WHERE work_order_id = $1 ORDER BY seq', [id])).rows.map((r) => r.action);


const stored = (h: Harness) => readdirSync(h.uploadDir, { recursive: true }).filter((f) => /\.(jpg|png)$/.test(String(f)));

t.test('uploads', async (t) => {
  const kafka = await testKafka(t, { label: 'up' });

  t.test('handle takes feedback text and photos; photos are stored, hashed and served only to the department', async (t) => {
    const h = await harness(t, kafka);
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act({ id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' }, a.workOrderId, 'sign', {});
    const r = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: '车辆已驶离，现场拍照' }, [
      { name: 'scene.jpg', type: 'image/jpeg', data: JPEG },
      { name: 'sign.png', type: 'image/png', data: PNG },
    ]);
    t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
    t.equal(r.body.status, 'handled');
    t.equal(r.body.feedback, '车辆已驶离，现场拍照');
    t.equal(r.body.photos.length, 2);
    const photos = (r.body.photos as Json[]).map((p) => [p.contentType, p.bytes, p.sha256, p.uploadedBy]).sort();
    t.same(photos, [
      ['image/jpeg', JPEG.length, sha(JPEG), 'li.staff'],
      ['image/png', PNG.length, sha(PNG), 'li.staff'],
    ]);
    t.equal(stored(h).length, 2, 'both files on disk');

    const jpeg = r.body.photos.find((p: Json) => p.contentType === 'image/jpeg');
    const got = await h.app.inject({ method: 'GET', url: jpeg.url, headers: auth(TOKENS.aHead) });
    t.equal(got.statusCode, 200);
    t.equal(got.headers['content-type'], 'image/jpeg');
    t.equal(got.headers['x-content-type-options'], 'nosniff');
    t.equal(sha(got.rawPayload), sha(JPEG), 'the same bytes come back');
    const foreign = await h.app.inject({ method: 'GET', url: jpeg.url, headers: auth(TOKENS.bHead) });
    t.equal(foreign.statusCode, 404, 'another department cannot fetch it');

    const more = await upload(h, a.workOrderId, TOKENS.aStaff, 'feedback', { feedback: '补充照片' }, [{ name: 'b.jpg', type: 'image/jpeg', data: JPEG }]);
    t.equal(more.status, 200);
    t.equal(more.body.status, 'handled');
    t.equal(more.body.photos.length, 3);
    t.equal(more.body.history.at(-1).action, 'feedback');
  });

  t.test('too large, too many or not an image: refused with a code, nothing stored, nothing changed', async (t) => {
    const h = await harness(t, kafka, { uploads: { maxFileBytes: JPEG.length - 1, maxFiles: 2, allowedTypes: ['image/jpeg', 'image/png'] } });
    const a = await h.wo.dispatch(alertFor(), 'dept-a');
    await h.wo.act({ id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' }, a.workOrderId, 'sign', {});
    const small = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200)]);

    const big = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: 'x' }, [{ name: 'big.jpg', type: 'image/jpeg', data: JPEG }]);
    t.equal(big.status, 413);
    t.equal(big.body.error.code, 'SW_ROUTER_UPLOAD_TOO_LARGE');

    const many = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: 'x' }, [1, 2, 3].map((i) => ({ name: `${i}.jpg`, type: 'image/jpeg', data: small })));
    t.equal(many.status, 413);
    t.equal(many.body.error.code, 'SW_ROUTER_UPLOAD_TOO_MANY');

    const fake = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: 'x' }, [
      { name: 'evil.jpg', type: 'image/jpeg', data: Buffer.from('<script>alert(1)</script>') },
    ]);
    t.equal(fake.status, 415, 'declared jpeg, content is not');
    t.equal(fake.body.error.code, 'SW_ROUTER_UPLOAD_TYPE');
    const gif = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: 'x' }, [
      { name: 'a.gif', type: 'image/gif', data: Buffer.from('GIF89a\u0001\u0000\u0001\u0000') },
    ]);
    t.equal(gif.status, 415);

    const noText = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', {}, [{ name: 's.jpg', type: 'image/jpeg', data: small }]);
    t.equal(noText.status, 400);
    t.equal(noText.body.error.fields[0].path, 'body/feedback');

    t.same(stored(h), [], 'no file left behind');
    const d = await h.wo.get({ id: 'x', name: 'x', departmentId: 'dept-a', role: 'head' }, a.workOrderId);
    t.equal(d.status, 'signed');
    t.equal(d.photos.length, 0);

    const ok = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: 'ok' }, [{ name: 's.jpg', type: 'image/jpeg', data: small }]);
    t.equal(ok.status, 200, 'within limits it works');
    t.equal(ok.body.photos.length, 1, JSON.stringify(ok.body.photos));
    t.equal(stored(h).length, 1, JSON.stringify(readdirSync(h.uploadDir, { recursive: true })));
  });

  // Idempotency-Key on actions (the phone console resends an action whose answer it never got).
  t.test('idempotency keys', async (t) => {
    const h = await harness(t, kafka);
    t.test('an action repeated with its key is applied once and the repeat answers the order as it is', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      const first = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, { note: '到场' }, 'key-sign-0001');
      t.equal(first.status, 200);
      t.equal(first.replayed, undefined);
      const again = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, { note: '到场' }, 'key-sign-0001');
      t.equal(again.status, 200, 'not 409: the client learns its action took effect');
      t.equal(again.replayed, 'true');
      t.equal(again.body.status, 'signed');
      t.equal(again.body.version, first.body.version);
      t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
      const audit = await h.pool.query<{ detail: Json | null }>(
        "SELECT detail FROM api_audit WHERE action = 'sign' AND work_order_id = $1 ORDER BY id",
        [a.workOrderId],
      );
      t.same(audit.rows.map((r) => r.detail?.replayed ?? false), [false, true], 'the replay is audited as one');

      const noKey = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {});
      t.equal(noKey.status, 409, 'without a key a repeat is just an invalid transition');
    });

    t.test('concurrent requests with one key apply once', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      const rs = await Promise.all([1, 2, 3, 4].map(() => post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-race-0001')));
      t.same(rs.map((r) => r.status), [200, 200, 200, 200]);
      t.equal(rs.filter((r) => r.replayed === 'true').length, 3);
      t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
    });

    t.test('a key reused for another action, order or user is refused with 422', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      const b = await h.wo.dispatch(alertFor(), 'dept-a');
      t.equal((await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-reuse-0001')).status, 200);
      const otherOrder = await post(h, b.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-reuse-0001');
      t.equal(otherOrder.status, 422);
      t.equal(otherOrder.body.error.code, 'SW_ROUTER_IDEMPOTENCY_KEY_REUSED');
      t.same(otherOrder.body.error.fields, [{ path: 'headers/idempotency-key', message: 'already used for another action, work order or user' }]);
      t.same(await historyOf(h, b.workOrderId), ['dispatched'], 'nothing applied');
      const otherAction = await post(h, a.workOrderId, 'return', TOKENS.aStaff, { reason: '不是本辖区' }, 'key-reuse-0001');
      t.equal(otherAction.status, 422);
      const otherUser = await post(h, a.workOrderId, 'sign', TOKENS.aHead, {}, 'key-reuse-0001');
      t.equal(otherUser.status, 422);
      t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed']);
    });

    t.test('a failed action does not use up its key', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      const bad = await post(h, a.workOrderId, 'handle', TOKENS.aStaff, { feedback: 'done' }, 'key-fail-0001');
      t.equal(bad.status, 409, 'cannot handle before signing');
      await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'key-fail-0002');
      const ok = await post(h, a.workOrderId, 'handle', TOKENS.aStaff, { feedback: 'done' }, 'key-fail-0001');
      t.equal(ok.status, 200);
      t.equal(ok.replayed, undefined);
      t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed', 'handled']);
    });

    t.test('a malformed key is refused by field before anything happens', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      const r = await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {}, 'bad key with spaces');
      t.equal(r.status, 400);
      t.equal(r.body.error.fields[0].path, 'headers/idempotency-key');
      t.same(await historyOf(h, a.workOrderId), ['dispatched']);
    });

    t.test('keys go with their work order when retention deletes it', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      await post(h, a.workOrderId, 'mark', TOKENS.aHead, { kind: 'false_positive' }, 'key-gone-0001');
      t.equal((await h.pool.query("SELECT 1 FROM work_order_requests WHERE idempotency_key = 'key-gone-0001'")).rowCount, 1);
      await h.wo.flushOutbox();
      const raw = { alerts: '1d', deliveries: '1d', silences: '1d', audit: '1d', workOrders: '1d', violationEnds: '1d' };
      const cfg = (parseConfig(Type.Object({ retention: RetentionConfig }), { retention: raw }, 'test') as { retention: RetentionConfig }).retention;
      const job = new RetentionJob(cfg, { pool: h.pool, log: h.wo.log, registry: h.registry, clock: new ManualClock(Date.parse('2036-01-01T00:00:00Z')), photosDir: h.uploadDir });
      t.teardown(() => job.close());
      t.ok(((await job.runOnce()).deleted.work_orders ?? 0) >= 1);
      t.equal((await h.pool.query("SELECT 1 FROM work_order_requests WHERE idempotency_key = 'key-gone-0001'")).rowCount, 0);
    });

    t.test('a handle with photos sent twice with its key (the phone never got the answer) stores them once', async (t) => {
      const a = await h.wo.dispatch(alertFor(), 'dept-a');
      await post(h, a.workOrderId, 'sign', TOKENS.aStaff, {});
      const files = [{ name: 'IMG_0001.jpg', type: 'image/jpeg', data: JPEG }];
      const first = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: '已清理' }, files, 'key-photo-0001');
      const again = await upload(h, a.workOrderId, TOKENS.aStaff, 'handle', { feedback: '已清理' }, files, 'key-photo-0001');
      t.same([first.status, again.status, again.replayed], [200, 200, 'true']);
      t.equal(again.body.photos.length, 1);
      t.same(await historyOf(h, a.workOrderId), ['dispatched', 'signed', 'handled']);
      t.equal(stored(h).filter((f) => String(f).startsWith(a.workOrderId)).length, 1, 'one file on disk: the replay wrote none');
    });
  });
});
