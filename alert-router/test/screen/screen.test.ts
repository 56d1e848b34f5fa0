import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Type } from '@sinclair/typebox';
import { chromium } from 'playwright-core';
import t from 'tap';
import { waitFor, testKafka } from '@streetwatch/platform/testing';
import { createOpsServer, parseConfig } from '@streetwatch/platform';
import { ScreenConfig } from '../../src/screen/config.js';
import { ScreenFeed } from '../../src/screen/feed.js';
import { cameras, cameraState, dayWindow, flowsToday, recentAlerts, shopsAtRisk, violationsToday, workOrders } from '../../src/screen/figures.js';
import { registerScreenPage, screenRoutes } from '../../src/screen/routes.js';
import { registerWorkOrderRoutes } from '../../src/api/routes.js';
import { auth, harness, TOKENS } from '../workorders/fixtures/harness.js';
import { at, detection, flowMinute, historySink, NOW, seedFlows, seedHistory, seedWorkOrders, tickerAlert } from './fixtures/day.js';

/**
 * Screenshots go to a temporary folder; with STREETWATCH_SCREENSHOTS=1 into ./screenshots beside
 * this file (the committed ones, to look at), so a test run does not rewrite tracked files.
 */
const SHOTS = process.env.STREETWATCH_SCREENSHOTS === '1' ? join(dirname(fileURLToPath(import.meta.url)), 'screenshots') : mkdtempSync(join(tmpdir(), 'screen-shots-'));
const STEP = 15_000;
/** The bits of the page's DOM the tests read in the browser (the test code has no DOM types). */
type Doc = { document: { getAnimations(): unknown[]; getElementById(id: string): { textContent: string } } };

const TZ = 'Asia/Shanghai';

t.test('overview screen figures, each against a seeded day', async (t) => {
  const kafka = await testKafka(t, { label: 'screen' });
  if (process.env.STREETWATCH_SCREENSHOTS !== '1') t.teardown(() => rmSync(SHOTS, { recursive: true, force: true }));
  const h = await harness(t, kafka);
  const sink = await historySink(h);
  const batch = await seedHistory(sink);
  const flows = await seedFlows(sink);
  await seedWorkOrders(h);
  const day = await dayWindow(h.pool, NOW, TZ);

  t.test('today is the local day: 2026-11-26 00:00 to 24:00 in Shanghai', async (t) => {
    t.equal(day.start.toISOString(), '2026-11-25T16:00:00.000Z');
    t.equal(day.end.toISOString(), '2026-11-26T16:00:00.000Z');
  });

  t.test('cameras by grid with their state (latest health event; grid from most detections; silent ones offline)', async (t) => {
    const f = await cameras(h.pool, NOW, 48, 180);
    t.same(
      f.grids.map((g) => [g.gridId, g.cameras.map((c) => `${c.cameraId}:${c.state}`)]),
      [
        ['grid-1', ['cam-01:online', 'cam-02:online']], // cam-02: 3 detections in grid-1, 1 in grid-2; cam-01 back online at 06:02
        ['grid-2', ['cam-06:unknown', 'cam-07:offline']], // cam-06: detections but no health event yet; cam-07: said online, silent since 14:12
        ['grid-3', ['cam-03:offline', 'cam-04:tampered']],
        [null, ['cam-05:online']], // health but no detection: no grid known
      ],
    );
    t.same(f.totals, { online: 3, offline: 2, tampered: 1, unknown: 1 });
    t.equal(f.silent, 1, 'one of the offline ones only because nothing was heard from it');
    const cam3 = f.grids[2]?.cameras[0];
    t.same([cam3?.reason, cam3?.since, cam3?.silentSince], ['SW_EDGE_STREAM_STALLED', at('15:40').toISOString(), null], 'offline as reported since 15:40 (its heartbeats keep since), heard from at 16:29');
    const cam7 = f.grids[1]?.cameras[1];
    t.same([cam7?.reason, cam7?.since, cam7?.silentSince], ['STREAM_OK', at('05:00').toISOString(), at('14:12').toISOString()], 'last said online (since 05:00), no report since 14:12');
    t.match(f.grids[3]?.cameras[0], { cameraId: 'cam-05', state: 'online', silentSince: null }, 'a gateway from before heartbeats (last word 05:00): what it last said');
    const cam1 = async (when: Date) => (await cameras(h.pool, when, 48, 180)).grids[0]?.cameras[0];
    t.match(await cam1(new Date(at('16:32').getTime())), { cameraId: 'cam-01', state: 'online', silentSince: null }, 'heard at 16:29: still online 3 min later');
    t.match(await cam1(new Date(at('16:32').getTime() + 1000)), { cameraId: 'cam-01', state: 'offline', silentSince: at('16:29').toISOString() }, 'and offline a second after');
    t.same((await cameras(h.pool, NOW, 48, 86_400)).totals, { online: 4, offline: 1, tampered: 1, unknown: 1 }, 'with a day of patience cam-07 is online as it last said');
    t.same((await cameras(h.pool, new Date('2026-12-30T00:00:00Z'), 48, 180)).grids.map((g) => g.gridId), [null], 'detections older than the window give no grid');
  });

  t.test('a camera state: tampered by status or reason, ahead of offline', async (t) => {
    t.equal(cameraState('online', 'STREAM_OK'), 'online');
    t.equal(cameraState('offline', 'SW_EDGE_STREAM_STALLED'), 'offline');
    t.equal(cameraState('offline', 'SW_EDGE_CAMERA_TAMPERED'), 'tampered');
    t.equal(cameraState('tampered', 'LENS_COVERED'), 'tampered');
    t.equal(cameraState(null, null), 'unknown');
    t.equal(cameraState('rebooting', 'X'), 'unknown');
  });

  t.test("today's violations by type, by grid and by hour (starts only, today only)", async (t) => {
    const f = await violationsToday(h.pool, day, TZ);
    t.equal(f.total, 9);
    t.same(f.byType, [
      { type: 'illegal_parking', count: 4 },
      { type: 'shopfront_spillover', count: 2 },
      { type: 'street_vendor', count: 2 },
      { type: 'dumping', count: 1 },
    ]);
    t.same(f.byGrid, [
      { gridId: 'grid-1', count: 5 },
      { gridId: 'grid-2', count: 2 },
      { gridId: 'grid-3', count: 2 },
    ]);
    const hours = Object.fromEntries(f.byHour.map((n, hr) => [hr, n]).filter(([, n]) => n));
    t.same(hours, { 7: 1, 9: 2, 10: 2, 11: 2, 14: 1, 16: 1 });
    t.equal(f.byHour.length, 24);
    // A batch written again (a retried sink flush) counts once.
    await sink.write(batch);
    t.equal((await violationsToday(h.pool, day, TZ)).total, 9, 'no double count');
  });

  t.test("today's flows by class and direction and by hour (hourly rollup; a redelivered minute counts once)", async (t) => {
    const f = await flowsToday(h.pool, day, TZ);
    t.equal(f.lines, 2, 'two count lines reported today');
    t.same(f.byClass, [
      { objectClass: 'person', in: 14, out: 8 },
      { objectClass: 'vehicle', in: 1, out: 2 },
      { objectClass: 'bicycle', in: 1, out: 0 },
    ]);
    const hours = (c: string) => Object.fromEntries((f.byHour.find((x) => x.objectClass === c)?.hours ?? []).map((n, hr) => [hr, n]).filter(([, n]) => n));
    t.same(hours('person'), { 8: 14, 9: 8 });
    t.same(hours('vehicle'), { 8: 1, 9: 2 });
    t.same(hours('bicycle'), { 9: 1 });
    t.equal(f.byHour[0]?.hours.length, 24);
    await sink.write({ flow_counts_minute: flows });
    t.same((await flowsToday(h.pool, day, TZ)).byClass, f.byClass, 'the same minutes again: no double count');
  });

  t.test('work orders per department: open, overdue, returned, closure rate, median time to close', async (t) => {
    const f = await workOrders(h.pool, NOW, day, ['dept-a', 'dept-b', 'dept-c']);
    t.same(f.departments.map((d) => d.departmentId), ['dept-a', 'dept-b', 'dept-c'], 'configured departments, even with no orders');
    t.same(f.departments[0], {
      departmentId: 'dept-a',
      open: 3, // W4 signed, W5 dispatched, W7 re-dispatched here
      overdue: 2, // W5 (sign by 15:10), W7' (sign by 12:40); W4's handle deadline is 17:00
      returned: 0,
      dispatchedToday: 5, // W2 W3 W4 W5 W7'
      closedOfToday: 2, // W2, W3 (false positive closes too)
      closureRate: 0.4,
      closedToday: 3, // W1 (dispatched yesterday), W2, W3
      medianCloseSeconds: 3600, // of 18 h, 60 min, 20 min
    });
    t.same(f.departments[1], {
      departmentId: 'dept-b',
      open: 2, // W8, W9
      overdue: 1, // W8
      returned: 1, // W6; W7 was re-dispatched
      dispatchedToday: 4, // W6 W8 W9 W10; W7 counted where it went
      closedOfToday: 1,
      closureRate: 0.25,
      closedToday: 1,
      medianCloseSeconds: 5400,
    });
    t.same(f.departments[2], {
      departmentId: 'dept-c', open: 0, overdue: 0, returned: 0, dispatchedToday: 0, closedOfToday: 0, closureRate: null, closedToday: 0, medianCloseSeconds: null,
    });
    t.same(f.total, {
      departmentId: null,
      open: 5,
      overdue: 3,
      returned: 1,
      dispatchedToday: 9,
      closedOfToday: 3,
      closureRate: 3 / 9,
      closedToday: 4,
      medianCloseSeconds: 4500, // median of 18 h, 60, 20 and 90 min: (60 + 90) / 2 min
    });
  });

  t.test('shops in red and yellow with their scores (latest colour per shop, red first)', async (t) => {
    const f = await shopsAtRisk(h.pool, 10);
    t.same(f.map((s) => [s.shopId, s.colour, s.score]), [
      ['S06', 'red', 90],
      ['S01', 'red', 72], // was yellow in the morning
      ['S04', 'yellow', 61],
      ['S03', 'yellow', 48],
    ]); // S02 went back to green, S05 is green
    t.same((await shopsAtRisk(h.pool, 2)).map((s) => s.shopId), ['S06', 'S01']);
  });

  t.test('the ticker: the newest alerts of the last 24 hours, newest first', async (t) => {
    t.same((await recentAlerts(h.pool, NOW, 10)).map((a) => a.alertId), ['al-1', 'al-2', 'al-3', 'al-4']);
    const [first] = await recentAlerts(h.pool, NOW, 1);
    t.same(first, {
      alertId: 'al-1', eventTime: at('16:20').toISOString(), type: 'dumping', severity: 'critical', title: 'dumping in grid-3 (cam-03)',
      zoneId: 'Z-cam-03', gridId: 'grid-3', shopId: null, cameraIds: ['cam-03'],
    });
  });

  t.test('the feed reads each figure once per refresh for every screen, and pushes only changes', async (t) => {
    const { screen: config } = parseConfig(Type.Object({ screen: ScreenConfig }), { screen: { refreshMs: 60_000 } }, 'test') as { screen: ScreenConfig };
    const feed = new ScreenFeed(config, { pool: h.pool, clock: { now: () => NOW.getTime() }, log: h.wo.log, registry: h.registry, timeZone: TZ, departments: [{ id: 'dept-a', name: 'A' }] });
    t.teardown(() => feed.close());
    const a: string[] = [];
    const b: string[] = [];
    const offA = feed.subscribe((e) => a.push(e), () => undefined);
    feed.subscribe((e) => b.push(e), () => undefined);
    await feed.refresh();
    await feed.refresh();
    t.same(a, ['snapshot', 'asof'], 'a snapshot, then only the time when nothing changed');
    t.same(b, ['snapshot', 'asof']);
    await sink.write({ alerts: [tickerAlert('al-7', at('16:29'), 'illegal_parking', 'warning', 'grid-1', ['cam-01'])] });
    await feed.refresh();
    t.same(a.at(-1), 'snapshot', 'a new alert is a change');
    const snap = await feed.current();
    t.equal(snap.alerts[0]?.alertId, 'al-7');
    t.equal(snap.violations.total, 9);
    t.equal(snap.workOrders.total.open, 5);
    offA();
    const seconds = await h.registry.getSingleMetricAsString('streetwatch_router_screen_refresh_seconds');
    t.match(seconds, /streetwatch_router_screen_refresh_seconds_count\{[^}]*\} 3$/m, 'three reads for two screens and three refreshes');
    const { screen: cfg2 } = parseConfig(Type.Object({ screen: ScreenConfig }), { screen: {} }, 'test') as { screen: ScreenConfig };
    const idle = new ScreenFeed(cfg2, { pool: h.pool, clock: { now: () => NOW.getTime() }, log: h.wo.log, registry: h.registry, timeZone: TZ, departments: [] });
    t.equal((await idle.current()).alerts[0]?.alertId, 'al-7');
    await sink.write({ alerts: [tickerAlert('al-7b', at('16:29'), 'dumping', 'info', 'grid-3', ['cam-03'])] });
    t.equal((await idle.current()).alerts[0]?.alertId, 'al-7b', 'with no screen connected every request reads afresh');
  });

  t.test('a camera falling silent reaches the open screens as a change (SSE snapshot), with no new data', async (t) => {
    const { screen: config } = parseConfig(Type.Object({ screen: ScreenConfig }), { screen: { refreshMs: 60_000 } }, 'test') as { screen: ScreenConfig };
    t.equal(config.cameraStaleAfterSeconds, 180, 'default: three heartbeats of 60 s');
    let now = NOW.getTime();
    const feed = new ScreenFeed(config, { pool: h.pool, clock: { now: () => now }, log: h.wo.log, registry: h.registry, timeZone: TZ, departments: [] });
    t.teardown(() => feed.close());
    const got: Array<[string, string]> = [];
    feed.subscribe((e, d) => got.push([e, d]), () => undefined);
    await feed.refresh();
    now += 30_000; // 16:30:30: everyone heard within 3 min but cam-07
    await feed.refresh();
    t.same(got.map(([e]) => e), ['snapshot', 'asof']);
    now = at('16:31').getTime() + 30_000; // cam-04 (tampered) last heard 16:28
    await feed.refresh();
    t.equal(got.at(-1)?.[0], 'snapshot', 'a change: cam-04 went silent');
    const snap = JSON.parse(got.at(-1)?.[1] ?? '{}') as Awaited<ReturnType<ScreenFeed['compute']>>;
    t.match(snap.cameras.grids[2]?.cameras[1], { cameraId: 'cam-04', state: 'offline', reason: 'SW_EDGE_CAMERA_TAMPERED', silentSince: at('16:28').toISOString() });
    t.same([snap.cameras.totals, snap.cameras.silent], [{ online: 3, offline: 3, tampered: 0, unknown: 1 }, 2], 'the totals follow');
  });

  t.test('the screen in Chromium at 1920x1080: every figure as computed, live without a reload, supervisors only', async (t) => {
    const { screen: config } = parseConfig(Type.Object({ screen: ScreenConfig }), { screen: { refreshMs: 1000 } }, 'test') as { screen: ScreenConfig };
    const departments = [{ id: 'dept-a', name: '城管执法中队 A' }, { id: 'dept-b', name: '市场监管所 B' }];
    const feed = new ScreenFeed(config, { pool: h.pool, clock: h.clock, log: h.wo.log, registry: h.registry, timeZone: TZ, departments });
    const app = createOpsServer({ registry: h.registry, log: h.wo.log });
    await registerWorkOrderRoutes(app, { workOrders: h.wo, scoped: [screenRoutes(feed)] });
    registerScreenPage(app);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    t.teardown(() => app.close());

    for (const [token, status] of [[TOKENS.aStaff, 403], [TOKENS.aHead, 403], [TOKENS.sup, 200]] as const) {
      const r = await app.inject({ method: 'GET', url: '/api/screen', headers: auth(token) });
      t.equal(r.statusCode, status, `${token.slice(6, 12)}: ${status}`);
    }
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as { paths: Record<string, unknown> };
    const check = await new Validator().validate(doc as never);
    t.ok(check.valid, `the OpenAPI document stays valid: ${JSON.stringify(check.errors ?? '').slice(0, 400)}`);
    t.ok(doc.paths['/api/screen'] && doc.paths['/api/screen/stream'], 'and documents the screen routes');
    const expected = await feed.compute();

    const userDataDir = mkdtempSync(join(tmpdir(), 'chromium-screen-'));
    const ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1920, height: 1080 },
      locale: 'zh-CN',
      timezoneId: 'Europe/London', // the page shows the router's time zone, not the browser's
    });
    t.teardown(async () => {
      await ctx.close();
      rmSync(userDataDir, { recursive: true, force: true });
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/screen`);
    await page.fill('#token', TOKENS.aStaff);
    await page.click('#login-button');
    await page.waitForFunction(() => /无权/.test((globalThis as unknown as Doc).document.getElementById('login-error').textContent), undefined, { timeout: STEP });
    await page.fill('#token', TOKENS.sup);
    await page.click('#login-button');
    await page.waitForSelector('#live[data-state="on"]', { timeout: STEP });
    await page.waitForSelector('[data-alert]', { timeout: STEP });

    const text = (sel: string) => page.$eval(sel, (e) => (e.textContent ?? '').trim());
    const all = (sel: string, attr: string) => page.$$eval(sel, (els, a) => els.map((e) => e.getAttribute(a)), attr);
    t.equal(await text('#date'), '2026/11/26周四', 'the router’s local day');
    t.equal(await text('#time'), '16:30:00');
    t.equal(await text('[data-kpi="cameras"] .value'), '3/7');
    t.match(await text('[data-kpi="cameras"] .sub'), /离线 2（无报告 1） · 遮挡 1 · 未知 1/);
    t.equal(await text('[data-kpi="violations"] .value'), String(expected.violations.total));
    t.equal(await text('[data-kpi="violations"] .value'), '9');
    t.equal(await text('[data-kpi="open"] .value'), '5');
    t.equal(await text('[data-kpi="overdue"] .value'), '3');
    t.equal(await text('[data-kpi="closure"] .value'), '33%');
    t.match(await text('[data-kpi="closure"] .sub'), /^3 \/ 9/);
    t.equal(await text('[data-kpi="median"] .value'), '75', 'minutes');
    t.match(await text('[data-kpi="median"] .sub'), /^分钟 min · 今日结案 4 件/);
    t.same(await all('.grid', 'data-grid'), ['grid-1', 'grid-2', 'grid-3', '']);
    t.same(await all('.cam', 'data-state'), ['online', 'online', 'unknown', 'offline', 'offline', 'tampered', 'online']);
    t.same(await all('.cam[data-silent-since]', 'data-camera'), ['cam-07'], 'only the silent camera is marked so');
    t.same(await page.$$eval('.grid .count', (els) => els.map((e) => e.textContent)), ['2/2 在线', '0/2 在线', '0/2 在线', '1/1 在线'], 'online per grid: cam-07 counts as offline in grid-2');
    t.equal(await text('[data-camera="cam-07"] .silent'), '14:12 起无报告 · no report since 14:12', 'in the router’s time zone, both languages');
    const hours = await page.$$eval('.hour', (els) => els.map((e) => Number(e.getAttribute('data-n'))));
    t.same(hours, expected.violations.byHour, 'the 24 hour bars');
    t.same(await all('#types .brow', 'data-type'), ['illegal_parking', 'shopfront_spillover', 'street_vendor', 'dumping']);
    t.same(await page.$$eval('#types .brow .n', (els) => els.map((e) => e.textContent)), ['4', '2', '2', '1']);
    t.same(await page.$$eval('#gridbars .brow .n', (els) => els.map((e) => e.textContent)), ['5', '2', '2']);
    const row = async (dept: string) => page.$$eval(`tr[data-dept="${dept}"] td`, (els) => els.map((e) => e.textContent));
    t.same(await row('dept-a'), ['城管执法中队 A', '3', '2', '40%', '1 小时 00 分']);
    t.same(await row('dept-b'), ['市场监管所 B', '2', '1', '25%', '1 小时 30 分']);
    t.same(await row('total'), ['合计 Total', '5', '3', '33%', '1 小时 15 分']);
    t.same(await page.$$eval('.shop', (els) => els.map((e) => `${e.getAttribute('data-shop')} ${e.getAttribute('data-colour')} ${e.querySelector('.score')?.textContent}`)), [
      'S06 red 90', 'S01 red 72', 'S04 yellow 61', 'S03 yellow 48',
    ]);
    t.same(await all('[data-alert]', 'data-alert'), expected.alerts.map((a) => a.alertId));
    t.same(await page.$$eval('.fclass', (els) => els.map((e) => `${e.getAttribute('data-flow-class')} ${e.querySelector('.in')?.textContent}/${e.querySelector('.out')?.textContent}`)), [
      'person 14/8', 'vehicle 1/2', 'bicycle 1/0',
    ]);
    const flowHours = await page.$$eval('.fhour', (els) => els.map((e) => Number(e.getAttribute('data-n'))));
    t.same(flowHours, Array.from({ length: 24 }, (_, hr) => expected.flows.byHour.reduce((n, c) => n + (c.hours[hr] ?? 0), 0)), 'the 24 flow bars');
    t.same(flowHours.slice(8, 10), [15, 11], 'hour 8: 14 people + 1 vehicle; hour 9: 8 + 2 + 1');
    const fits = await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.scrollHeight]');
    t.same(fits, [1920, 1080], 'one screen, no scrolling');

    // Live: a new alert and a new violation reach the open screen without a reload.
    await page.evaluate('window.__sameLoad = true');
    await sink.write({
      alerts: [tickerAlert('al-8', at('16:30'), 'street_vendor', 'critical', 'grid-2', ['cam-06'])],
      detection_events: [detection('street_vendor', 'cam-06', 'grid-2', at('16:29'))],
    });
    await sink.write({ flow_counts_minute: [flowMinute('cam-02', 'L1', at('16:29'), { person: [3, 0] })] });
    await page.waitForSelector('[data-alert="al-8"].new', { timeout: STEP });
    await waitFor('people in 17', async () => (await text('[data-flow-class="person"] .in')) === '17', { timeoutMs: STEP });
    await waitFor('violations 10', async () => (await text('[data-kpi="violations"] .value')) === '10', { timeoutMs: STEP });
    t.equal((await all('[data-alert]', 'data-alert'))[0], 'al-8', 'first in the ticker');
    t.equal(await page.evaluate('window.__sameLoad'), true, 'no reload');
    await page.waitForFunction(() => (globalThis as unknown as Doc).document.getAnimations().length === 0, undefined, { timeout: STEP }); // the new alert's arrival
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, 'screen-day.png') });

    // Time passes with no word from cam-04's gateway (last heard 16:28): offline on the open screen.
    h.clock.set(new Date(at('16:31').getTime() + 30_000));
    await page.waitForSelector('[data-camera="cam-04"][data-state="offline"]', { timeout: STEP });
    t.equal(await text('[data-camera="cam-04"] .silent'), '16:28 起无报告 · no report since 16:28');
    t.equal(await text('[data-kpi="cameras"] .value'), '3/7');
    t.match(await text('[data-kpi="cameras"] .sub'), /离线 3（无报告 2） · 遮挡 0 · 未知 1/);
    t.equal(await page.evaluate('window.__sameLoad'), true, 'no reload');
    t.same(errors, [], 'no script errors');
  });
});
