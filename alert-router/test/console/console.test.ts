import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import t from 'tap';
import { stackSettings } from '@streetwatch/platform';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { stackS3Client, testKafka, waitFor, type TeardownHost } from '@streetwatch/platform/testing';
import { alertFor, harness, TOKENS } from '../workorders/fixtures/harness.js';

const videoDir = stackSettings().videoDir ?? '/root/.cache/streetwatch/opencv-doc/data';
const CAR = readFileSync(join(videoDir, 'licenseplate_motion.jpg'));
const STEP = 15_000;

/** A free loopback port (the links' public base must be known before the app listens). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The car picture in the stack's evidence store, put by box-a's identity as its uploader does. */
async function storedPicture(t: TeardownHost): Promise<string> {
  const { s3, bucket } = stackS3Client(t, 'box-a');
  const key = `edge/box-a/2026-11-26/${randomUUID()}.jpg`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: CAR, ContentType: 'image/jpeg' }));
  return key;
}

async function login(page: Page, base: string, token: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.fill('#token', token);
  await page.click('#login-button');
  await page.waitForSelector('#live[data-state="on"]', { timeout: STEP });
}

const card = (id: string) => `article.wo[data-id="${id}"]`;

t.test('the department console in headless Chromium', async (t) => {
  const kafka = await testKafka(t, { label: 'ui' });
  const port = await freePort();
  const h = await harness(t, kafka, {
    console: { map: { minLat: 30.26, maxLat: 30.29, minLon: 120.13, maxLon: 120.17 } },
  }, { evidence: { signingKey: randomBytes(32).toString('hex'), publicBaseUrl: `http://127.0.0.1:${port}` } });
  h.clock.set(new Date()); // the page compares deadlines with the browser's clock
  const base = await h.app.listen({ port, host: '127.0.0.1' });
  const key = await storedPicture(t);
  const sha256 = createHash('sha256').update(CAR).digest('hex');
  const ev = (_n: string, cameraId = 'cam-03') => ({
    evidence: [{ key, sha256, contentType: 'image/jpeg' as const, bytes: CAR.length, cameraId }],
  });

  const early = await h.wo.dispatch(alertFor({ ...ev('e1'), type: 'dumping', severity: 'critical', title: '垃圾堆放超过 30 分钟 · Dumped waste 30 min (cam-11)' }, { zoneId: 'D2', cameraIds: ['cam-11'], gridId: 'grid-5', location: { lat: 30.2741, lon: 120.1551 } }), 'dept-a');
  await h.wo.dispatch(alertFor({ ...ev('e2', 'cam-07'), type: 'shopfront_spillover', title: '出店经营 10 分钟 · Spillover 10 min (S17)' }, { zoneId: 'S17-band', cameraIds: ['cam-07'], shopId: 'S17' }), 'dept-a');

  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1360, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  t.teardown(async () => {
    await browser.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const pageA = await browser.newPage();
  const pageB = await browser.newPage();
  const consoleErrors: string[] = [];
  for (const p of [pageA, pageB]) p.on('pageerror', (e) => consoleErrors.push(String(e)));

  await login(pageA, base, TOKENS.aHead);
  await pageA.waitForSelector(card(early.workOrderId), { timeout: STEP });
  t.match(await pageA.textContent('#dept'), /城管执法中队 A/);
  await login(pageB, base, TOKENS.bStaff);
  await pageB.waitForSelector('#empty:not([hidden])', { timeout: STEP });

  // A new alert dispatched while the pages are open appears without a reload, on A's page only.
  const fresh = await h.wo.dispatch(
    alertFor({ ...ev('e3'), severity: 'warning' }, { zoneId: 'P1', cameraIds: ['cam-03'], gridId: 'grid-3', location: { lat: 30.2803, lon: 120.1421 } }),
    'dept-a',
  );
  const forB = await h.wo.dispatch(alertFor({ ...ev('e4', 'cam-21'), type: 'street_vendor', title: '游商经营 5 分钟 · Street vendor 5 min' }, { zoneId: 'V1', cameraIds: ['cam-21'] }), 'dept-b');
  const newCard = await pageA.waitForSelector(card(fresh.workOrderId), { timeout: STEP });
  t.match(await newCard.getAttribute('class'), /fresh/, 'highlighted as new');
  const text = await newCard.textContent();
  t.match(text, /违停/);
  t.match(text, /Zone P1/);
  t.match(text, /cam-03/);
  t.match(text, /30\.28030, 120\.14210/, 'map position as text');
  t.ok(await newCard.$('svg path'), 'inline SVG pin');
  await waitFor('evidence picture loaded', () => newCard.$eval('img', (img) => {
    const i = img as unknown as { complete: boolean; naturalWidth: number };
    return i.complete && i.naturalWidth > 0;
  }), { timeoutMs: STEP });
  t.match(await newCard.$eval('img', (img) => (img as unknown as { src: string }).src), new RegExp(`^http://127\\.0\\.0\\.1:${port}/e/[0-9a-z]+\\.`), 'through a signed link');
  const seen = await waitFor('the view in the audit', async () => {
    const r = await h.pool.query("SELECT subject FROM evidence_views WHERE work_order_id = $1 AND channel = 'console'", [fresh.workOrderId]);
    return r.rows.length > 0 ? r.rows : undefined;
  }, { timeoutMs: STEP });
  t.match(seen, [{ subject: 'wang.head' }], 'who looked at which order is audited');
  await pageB.waitForSelector(card(forB.workOrderId), { timeout: STEP });
  t.equal(await pageB.$$eval('article.wo', (els) => els.length), 1, 'B shows only its own order');
  t.equal(await pageB.$(card(fresh.workOrderId)), null, 'B does not show A’s new order');
  t.equal(await pageB.$(card(early.workOrderId)), null, 'nor A’s earlier one');
  t.equal(await pageA.$(card(forB.workOrderId)), null, 'and A does not show B’s');

  await pageA.bringToFront(); // a background tab throttles animation frames, which slows every click

  // Sign from the page; escalate the earlier one so the screenshot shows a realistic board.
  await pageA.click(`${card(fresh.workOrderId)} button[data-action="sign"]`);
  await pageA.waitForSelector(`${card(fresh.workOrderId)}[data-status="signed"]`, { timeout: STEP });
  h.clock.advance(11 * 60_000);
  await h.wo.runEscalations();
  await pageA.waitForSelector(`${card(early.workOrderId)} .pill.esc`, { timeout: STEP });
  await pageA.evaluate('window.scrollTo(0, 0)');
  await pageA.screenshot({ path: '/tmp/console.png', fullPage: true });

  // Handle with feedback and a photo, verify, close: end to end from the page.
  await pageA.click(`${card(fresh.workOrderId)} button[data-action="handle"]`);
  await pageA.waitForSelector('dialog[open]', { timeout: STEP });
  await pageA.fill('#f-feedback', '车辆已驶离，现场已恢复 · car gone');
  await pageA.setInputFiles('#f-photo', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: CAR });
  await pageA.click('#dialog-ok');
  await pageA.waitForSelector(`${card(fresh.workOrderId)}[data-status="handled"]`, { timeout: STEP });
  await pageA.click(`${card(fresh.workOrderId)} button[data-action="verify"]`);
  await pageA.waitForSelector(`${card(fresh.workOrderId)}[data-status="verified"]`, { timeout: STEP });
  await pageA.click(`${card(fresh.workOrderId)} button[data-action="close"]`);
  await pageA.waitForSelector(card(fresh.workOrderId), { state: 'detached', timeout: STEP });

  const d = await h.wo.get({ id: 'x', name: 'x', departmentId: 'dept-a', role: 'head' }, fresh.workOrderId);
  t.equal(d.status, 'closed');
  t.same(d.history.map((x) => x.action), ['dispatched', 'signed', 'handled', 'verified', 'closed']);
  t.equal(d.history[1]?.actor.id, 'wang.head');
  t.equal(d.feedback, '车辆已驶离，现场已恢复 · car gone');
  t.equal(d.photos.length, 1, 'the photo went up with the handle step');
  t.equal(d.photos[0]?.bytes, CAR.length);

  // A return needs a reason typed into the dialog.
  await pageA.click(`${card(early.workOrderId)} button[data-action="return"]`);
  await pageA.fill('#f-reason', '非本科室辖区 not our area');
  await pageA.click('#dialog-ok');
  await pageA.waitForSelector(card(early.workOrderId), { state: 'detached', timeout: STEP });
  t.equal((await h.wo.get({ id: 'x', name: 'x', departmentId: 'dept-a', role: 'head' }, early.workOrderId)).returnReason, '非本科室辖区 not our area');
  t.same(consoleErrors, [], 'no script errors on the pages');
});
