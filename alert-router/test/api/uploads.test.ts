import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

async function upload(h: Harness, id: string, token: string, path: string, fields: Record<string, string>, files: Parameters<typeof form>[1]) {
  const f = await form(fields, files);
  const res = await h.app.inject({
    method: 'POST',
    url: `/api/work-orders/${id}/${path}`,
    headers: { ...auth(token), 'content-type': f.contentType },
    payload: f.payload,
  });
  return { status: res.statusCode, body: JSON.parse(res.body) as Json };
}

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
});
