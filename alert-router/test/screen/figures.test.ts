import { Type } from '@sinclair/typebox';
import t from 'tap';
import { testKafka } from '@streetwatch/platform/testing';
import { parseConfig } from '@streetwatch/platform';
import { ScreenConfig } from '../../src/screen/config.js';
import { ScreenFeed } from '../../src/screen/feed.js';
import { cameras, cameraState, dayWindow, recentAlerts, shopsAtRisk, violationsToday, workOrders } from '../../src/screen/figures.js';
import { harness } from '../workorders/fixtures/harness.js';
import { at, historySink, NOW, seedHistory, seedWorkOrders, tickerAlert } from './fixtures/day.js';

const TZ = 'Asia/Shanghai';

t.test('overview screen figures, each against a seeded day', async (t) => {
  const kafka = await testKafka(t, { label: 'screen' });
  const h = await harness(t, kafka);
  const sink = await historySink(h);
  const batch = await seedHistory(sink);
  await seedWorkOrders(h);
  const day = await dayWindow(h.pool, NOW, TZ);

  t.test('today is the local day: 2026-11-26 00:00 to 24:00 in Shanghai', async (t) => {
    t.equal(day.start.toISOString(), '2026-11-25T16:00:00.000Z');
    t.equal(day.end.toISOString(), '2026-11-26T16:00:00.000Z');
  });

  t.test('cameras by grid with their state (latest health event; grid from most detections)', async (t) => {
    const f = await cameras(h.pool, NOW, 48);
    t.same(
      f.grids.map((g) => [g.gridId, g.cameras.map((c) => `${c.cameraId}:${c.state}`)]),
      [
        ['grid-1', ['cam-01:online', 'cam-02:online']], // cam-02: 3 detections in grid-1, 1 in grid-2; cam-01 back online at 06:02
        ['grid-2', ['cam-06:unknown']], // detections but no health event yet
        ['grid-3', ['cam-03:offline', 'cam-04:tampered']],
        [null, ['cam-05:online']], // health but no detection: no grid known
      ],
    );
    t.same(f.totals, { online: 3, offline: 1, tampered: 1, unknown: 1 });
    const cam3 = f.grids[2]?.cameras[0];
    t.same([cam3?.reason, cam3?.since], ['SW_EDGE_STREAM_STALLED', at('15:40').toISOString()]);
    t.same((await cameras(h.pool, new Date('2026-12-30T00:00:00Z'), 48)).grids.map((g) => g.gridId), [null], 'detections older than the window give no grid');
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
    const feed = new ScreenFeed(config, { pool: h.pool, clock: { now: () => NOW }, log: h.wo.log, registry: h.registry, timeZone: TZ, departments: [{ id: 'dept-a', name: 'A' }] });
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
  });
});
