import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import t from 'tap';
import { stackSettings } from '@streetwatch/platform';
import { testKafka, waitFor, type TeardownHost } from '@streetwatch/platform/testing';
import { alertFor, harness, TOKENS, type Harness } from '../workorders/fixtures/harness.js';

// The console on a phone: 390x844 (an iPhone 12-15 / mid-range Android size) in Chromium's mobile
// emulation (touch, device pixel ratio 3, a phone's user agent), one browser for the whole file.

const videoDir = stackSettings().videoDir ?? '/root/.cache/streetwatch/opencv-doc/data';
const CAR = readFileSync(join(videoDir, 'licenseplate_motion.jpg'));
/** A 315 KB photo, over the 150 KB limit set below: the page must shrink it before sending. */
const BIG = readFileSync(join(videoDir, 'aloeL.jpg'));
const LIMIT = 150 * 1024;
const STEP = 15_000;
/** The bits of the page's DOM the tests read in the browser (the test code has no DOM types). */
type Doc = { document: { getElementById(id: string): { textContent: string } } };
/**
 * Screenshots go to a temporary folder; with STREETWATCH_SCREENSHOTS=1 into ./screenshots beside
 * this file (the committed ones, to look at), so a test run does not rewrite tracked files.
 */
const SHOTS = process.env.STREETWATCH_SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), 'screenshots') : mkdtempSync(join(tmpdir(), 'phone-shots-'));
const staffA = { id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' as const };

async function evidenceServer(t: TeardownHost): Promise<string> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/evidence/')) res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': CAR.length }).end(CAR);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const card = (id: string) => `article.wo[data-id="${id}"]`;
const history = async (h: Harness, id: string) =>
  (await h.pool.query<{ action: string }>('SELECT action FROM work_order_history WHERE work_order_id = $1 ORDER BY seq', [id])).rows.map((r) => r.action);
const photos = async (h: Harness, id: string) =>
  (await h.pool.query<{ bytes: number; content_type: string; file_name: string }>('SELECT bytes, content_type, file_name FROM work_order_photos WHERE work_order_id = $1', [id])).rows;

t.test('the console on a phone', async (t) => {
  const kafka = await testKafka(t, { label: 'phone' });
  if (process.env.STREETWATCH_SCREENSHOTS !== '1') t.teardown(() => rmSync(SHOTS, { recursive: true, force: true }));
  const h = await harness(t, kafka, { uploads: { maxFileBytes: LIMIT } });
  h.clock.set(new Date());
  const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  const evidence = await evidenceServer(t);
  const ev = (n: string) => ({
    evidence: [{ url: `${evidence}/evidence/${n}.jpg`, sha256: 'a'.repeat(64), contentType: 'image/jpeg' as const, bytes: CAR.length, cameraId: 'cam-11' }],
  });
  const site = { zoneId: 'D2-riverside-long-zone-name', cameraIds: ['cam-11', 'cam-12'], gridId: 'grid-5', communityId: 'xiaohe-community-3', location: { lat: 30.2741, lon: 120.1551 } };
  const toSign = await h.wo.dispatch(alertFor({ ...ev('1'), type: 'dumping', severity: 'critical', title: '垃圾堆放超过 30 分钟，小河路与湖墅南路交叉口东北角 · Dumped waste for 30 min at the north-east corner (cam-11)' }, site), 'dept-a');
  const toHandle = await h.wo.dispatch(alertFor({ ...ev('2') }, { ...site, zoneId: 'P1' }), 'dept-a');
  const offlineSign = await h.wo.dispatch(alertFor({ ...ev('3') }, { ...site, zoneId: 'P2' }), 'dept-a');
  const lostAnswer = await h.wo.dispatch(alertFor({ ...ev('4') }, { ...site, zoneId: 'P3' }), 'dept-a');
  await h.wo.act(staffA, toHandle.workOrderId, 'sign');

  const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-phone-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  t.teardown(async () => {
    await ctx.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });
  const page: Page = ctx.pages()[0] ?? (await ctx.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/console`);
  await page.fill('#token', TOKENS.aStaff);
  await page.tap('#login-button');
  await page.waitForSelector('#live[data-state="on"]', { timeout: STEP });
  await page.waitForSelector(card(toSign.workOrderId), { timeout: STEP });
  mkdirSync(SHOTS, { recursive: true });

  t.test('the board fits 390 px: no sideways scrolling, the user and sign-out in view', async (t) => {
    t.ok((await page.evaluate('document.documentElement.scrollWidth')) as number <= 390, 'the page does not scroll sideways');
    for (const id of [toSign.workOrderId, toHandle.workOrderId]) {
      const box = await (await page.$(card(id)))!.boundingBox();
      t.ok(box && box.x >= 0 && box.x + box.width <= 390, `card ${id} within the screen (${box?.x}+${box?.width})`);
    }
    for (const sel of ['#user', '#logout', '#dept']) {
      const box = await (await page.$(sel))!.boundingBox();
      t.ok(box && box.width > 0 && box.x >= 0 && box.x + box.width <= 390 && box.y >= 0, `${sel} visible (${JSON.stringify(box)})`);
    }
    t.match(await page.textContent('#user'), /李明/);
    const sign = await (await page.$(`${card(toSign.workOrderId)} button[data-action="sign"]`))!.boundingBox();
    t.ok(sign && sign.height >= 44 && sign.width >= 150, `the sign button is thumb-sized (${sign?.width}x${sign?.height})`);
    await page.screenshot({ path: join(SHOTS, 'phone-board.png'), scale: 'css' });
  });

  t.test('an installable web app: manifest, icons and a service worker controlling the page', async (t) => {
    await waitFor('service worker controls the page', () => page.evaluate('!!navigator.serviceWorker.controller'), { timeoutMs: STEP });
    const cdp = await ctx.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { errors: unknown[]; url: string };
    t.same(manifest.errors, [], 'the manifest parses');
    t.match(manifest.url, /\/console\/manifest\.webmanifest$/);
    const inst = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: Array<{ errorId: string }> };
    t.same(inst.installabilityErrors.map((e) => e.errorId), [], 'Chromium finds nothing missing to install it');
    const icon = await page.evaluate(async () => {
      const r = await fetch('/console/icon-512.png');
      const b = new Uint8Array(await r.arrayBuffer());
      return { type: r.headers.get('content-type'), png: b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 };
    });
    t.same(icon, { type: 'image/png', png: true });
  });

  t.test('sign with a tap; handle with a photo from the camera, shrunk under the limit', async (t) => {
    await page.tap(`${card(toSign.workOrderId)} button[data-action="sign"]`);
    await page.waitForSelector(`${card(toSign.workOrderId)}[data-status="signed"]`, { timeout: STEP });
    await page.tap(`${card(toSign.workOrderId)} button[data-action="handle"]`);
    await page.waitForSelector('dialog[open]', { timeout: STEP });
    t.equal(await page.getAttribute('#f-photo', 'capture'), 'environment', 'opens the rear camera');
    t.equal(await page.getAttribute('#f-photo', 'accept'), 'image/*');
    await page.fill('#f-feedback', '垃圾已清运，现场已恢复 · waste removed');
    await page.setInputFiles('#f-photo', { name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: BIG });
    await page.waitForSelector('[data-previews="photo"] img', { timeout: STEP });
    const dialogBox = await (await page.$('dialog[open]'))!.boundingBox();
    t.ok(dialogBox && dialogBox.x >= 0 && dialogBox.x + dialogBox.width <= 390, 'the dialog fits the screen');
    await page.screenshot({ path: join(SHOTS, 'phone-handle.png'), scale: 'css' });
    await page.tap('#dialog-ok');
    await page.waitForSelector(`${card(toSign.workOrderId)}[data-status="handled"]`, { timeout: STEP });
    const p = await photos(h, toSign.workOrderId);
    t.equal(p.length, 1);
    t.equal(p[0]?.content_type, 'image/jpeg');
    t.ok(p[0] && p[0].bytes <= LIMIT && p[0].bytes > 10_000, `stored ${p[0]?.bytes} bytes (limit ${LIMIT}, taken ${BIG.length})`);
    const stored = readFileSync(join(h.uploadDir, toSign.workOrderId, p[0]!.file_name));
    t.same([...stored.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
  });

  t.test('a file that is not a picture is refused in the dialog, with a message, and nothing is sent', async (t) => {
    await page.tap(`${card(toHandle.workOrderId)} button[data-action="handle"]`);
    await page.waitForSelector('dialog[open]', { timeout: STEP });
    await page.fill('#f-feedback', '已处理');
    await page.setInputFiles('#f-photo', { name: 'IMG_0002.heic', mimeType: 'image/heic', buffer: Buffer.from('not a picture this browser can decode') });
    await page.tap('#dialog-ok');
    await page.waitForFunction(() => /无法读取照片/.test((globalThis as unknown as Doc).document.getElementById('dialog-error').textContent), undefined, { timeout: STEP });
    t.match(await page.textContent('#dialog-error'), /IMG_0002\.heic.*JPEG\/PNG/);
    await page.tap('#dialog-cancel');
    t.same(await history(h, toHandle.workOrderId), ['dispatched', 'signed'], 'still signed, nothing handled');
  });

  t.test('actions taken offline wait on the phone and are applied once when it is back online', async (t) => {
    await ctx.setOffline(true);
    await page.waitForSelector('#live[data-state="offline"]', { timeout: STEP });
    await page.tap(`${card(offlineSign.workOrderId)} button[data-action="sign"]`);
    await page.waitForSelector(`${card(offlineSign.workOrderId)}[data-queued="true"]`, { timeout: STEP });
    await page.tap(`${card(toHandle.workOrderId)} button[data-action="handle"]`);
    await page.fill('#f-feedback', '车辆已驶离 · car gone');
    await page.setInputFiles('#f-photo', { name: 'IMG_0003.jpg', mimeType: 'image/jpeg', buffer: CAR });
    await page.tap('#dialog-ok');
    await page.waitForSelector(`${card(toHandle.workOrderId)}[data-queued="true"]`, { timeout: STEP });
    t.match(await page.textContent('#queued'), /待发送 2/);
    t.ok(await page.$eval(`${card(offlineSign.workOrderId)} button[data-action="sign"]`, (b) => (b as unknown as { disabled: boolean }).disabled), 'its buttons wait too');
    // The queue survives a reload: the service worker serves the page without network.
    await page.reload();
    await page.waitForSelector(`${card(offlineSign.workOrderId)}[data-queued="true"]`, { timeout: STEP });
    t.same(await history(h, offlineSign.workOrderId), ['dispatched'], 'nothing reached the router yet');

    await ctx.setOffline(false);
    await page.waitForSelector(`${card(offlineSign.workOrderId)}[data-status="signed"][data-queued="false"]`, { timeout: 30_000 });
    await page.waitForSelector(`${card(toHandle.workOrderId)}[data-status="handled"][data-queued="false"]`, { timeout: STEP });
    await page.waitForSelector('#queued[hidden]', { state: 'attached', timeout: STEP });
    t.same(await history(h, offlineSign.workOrderId), ['dispatched', 'signed'], 'signed once');
    t.same(await history(h, toHandle.workOrderId), ['dispatched', 'signed', 'handled'], 'handled once');
    t.equal((await photos(h, toHandle.workOrderId)).length, 1, 'with its photo, once');
    t.equal(await page.evaluate('window.SwQueue.all().then((a) => a.length)'), 0, 'the queue is empty');
  });

  t.test('an action whose answer was lost is sent again with its key and applied once', async (t) => {
    let calls = 0;
    await ctx.route('**/api/work-orders/*/sign', async (route) => {
      calls++;
      if (calls === 1) {
        await route.fetch(); // the router applies it...
        await route.abort('connectionreset'); // ...and the phone never hears back
      } else {
        await route.continue();
      }
    });
    t.teardown(() => ctx.unroute('**/api/work-orders/*/sign'));
    await page.tap(`${card(lostAnswer.workOrderId)} button[data-action="sign"]`);
    const audit = async () =>
      (
        await h.pool.query<{ detail: { replayed?: boolean } | null }>("SELECT detail FROM api_audit WHERE action = 'sign' AND work_order_id = $1 ORDER BY id", [
          lostAnswer.workOrderId,
        ])
      ).rows.map((r) => r.detail?.replayed === true);
    await waitFor('the kept copy reached the router', async () => (await audit()).length >= 2, { timeoutMs: STEP });
    await page.waitForSelector(`${card(lostAnswer.workOrderId)}[data-status="signed"][data-queued="false"]`, { timeout: STEP });
    await page.waitForSelector('#queued[hidden]', { state: 'attached', timeout: STEP });
    t.equal(calls, 2);
    t.same(await audit(), [false, true], 'the second request was a replay');
    t.same(await history(h, lostAnswer.workOrderId), ['dispatched', 'signed'], 'signed once');
    t.same(errors, [], 'no script errors');
  });
});
