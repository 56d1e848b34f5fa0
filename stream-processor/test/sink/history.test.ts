import t from 'tap';
import { createLogger, createRegistry, migrate } from '@streetwatch/platform';
import { testDatabase } from '@streetwatch/platform/testing';
import { exampleAlert, exampleCameraHealth, exampleShopScore } from '@streetwatch/schemas';
import { MIGRATIONS_DIR } from '../../src/app.js';
import { parseProcessorConfig } from '../../src/config/load.js';
import { HistorySink } from '../../src/sink/history.js';
import { ManualClock } from '../../src/time/clock.js';
import { det } from '../support/events.js';

async function sinkFor(t: Parameters<typeof testDatabase>[0]) {
  const db = await testDatabase(t);
  const { mode } = await migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor' });
  const settings = parseProcessorConfig({ rules: [] }).settings.sink;
  const clock = new ManualClock(Date.parse('2026-11-27T00:00:00Z'));
  const sink = new HistorySink(settings, { pool: db.pool, mode, registry: createRegistry('t'), log: createLogger({ name: 't', level: 'silent' }), clock });
  return { db, sink, mode, clock };
}

t.test('a retried batch lands once per id and the rollups do not count it twice', async (t) => {
  const { db, sink, mode } = await sinkFor(t);
  t.equal(mode, 'plain', 'no TimescaleDB here: the plain path runs');
  const events = [det({ vid: 'v1', t: 0 }), det({ vid: 'v1', phase: 'end', t: 30, started: 0 }), det({ vid: 'v2', t: 40, zone: 'P2' }), det({ vid: 'v3', t: 90000 })];
  const alerts = [exampleAlert({ alertId: 'al-1' }), exampleAlert({ alertId: 'al-2', ruleId: 'other' })];
  const health = [exampleCameraHealth({ eventId: 'h1', status: 'offline' }), exampleCameraHealth({ eventId: 'h2', status: 'online', eventTime: '2026-11-26T06:05:00.000Z' })];
  const scores = [exampleShopScore({ eventId: 's1' })];
  for (let i = 0; i < 2; i++) {
    await sink.write({ detection_events: events, alerts, camera_health: health, shop_score_changes: scores });
  }
  await sink.add({ detections: events.slice(0, 2), alerts: alerts.slice(0, 1) });
  await sink.flush();
  const count = async (table: string) => Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  t.equal(await count('detection_events'), 4, 'one row per event id');
  t.equal(await count('alerts'), 2);
  t.equal(await count('camera_health'), 2);
  t.equal(await count('shop_score_changes'), 1);
  const rollup = await db.pool.query('SELECT zone_id, starts, events FROM violations_hourly ORDER BY bucket, zone_id');
  t.same(
    rollup.rows.map((r: { zone_id: string; starts: string; events: string }) => [r.zone_id, Number(r.starts), Number(r.events)]),
    [['P1', 1, 2], ['P2', 1, 1], ['P1', 1, 1]],
    'hourly starts/events per zone, counted once',
  );
  const alertsHourly = await db.pool.query('SELECT sum(alerts)::int AS n FROM alerts_hourly');
  t.equal(alertsHourly.rows[0].n, 2);
  const status = await db.pool.query('SELECT status FROM camera_status');
  t.same(status.rows, [{ status: 'online' }], 'latest status per camera');
  const parts = await db.pool.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'detection_events' ORDER BY 1");
  t.same(parts.rows.map((r: { relname: string }) => r.relname), ['detection_events_p20261126', 'detection_events_p20261127'], 'a partition per UTC day');
  const brin = await db.pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'detection_events_time_brin'");
  t.match(brin.rows[0]?.indexdef, /USING brin/);
});

t.test('retention drops day partitions older than the configured age', async (t) => {
  const { db, sink, clock } = await sinkFor(t);
  await sink.write({ detection_events: [det({ vid: 'old', t: 0 })] });
  t.equal(await sink.applyRetention(), 0, 'within 90 days');
  clock.set(Date.parse('2027-03-01T00:00:00Z'));
  t.equal(await sink.applyRetention(), 1);
  t.equal(Number((await db.pool.query('SELECT count(*) AS n FROM detection_events')).rows[0].n), 0);
});
