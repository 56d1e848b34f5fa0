// The history sink in both storage modes, on the stack's PostgreSQL: `timescaledb` (hypertables,
// continuous aggregates, TimescaleDB's retention jobs) and `plain` (day partitions, rollup tables,
// the sink's own retention). The stack preloads TimescaleDB when its source was there to build
// (deploy/local/lib/timescaledb.sh; .stack/env then sets STREETWATCH_PG_TIMESCALEDB): without it
// the timescaledb half is skipped with that reason, and the plain half still runs.
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createLogger, createRegistry, migrate, type StorageMode } from '@streetwatch/platform';
import { testDatabase } from '@streetwatch/platform/testing';
import { exampleAlert, exampleCameraHealth, exampleShopScore, type CameraHealth } from '@streetwatch/schemas';
import { MIGRATIONS_DIR } from '../../src/app.js';
import { parseProcessorConfig } from '../../src/config/load.js';
import { HistorySink } from '../../src/sink/history.js';
import { ManualClock } from '../../src/time/clock.js';
import { det, T0 } from '../support/events.js';

const TIMESCALEDB = process.env.STREETWATCH_PG_TIMESCALEDB ?? '';
const NO_TIMESCALEDB = 'this PostgreSQL runs without TimescaleDB (no source to build it from: `stack.sh up` printed why); the plain mode below still runs';

type Db = Awaited<ReturnType<typeof testDatabase>>;

async function sinkFor(t: Parameters<typeof testDatabase>[0], storage: StorageMode, retention: Record<string, string> = {}) {
  const db = await testDatabase(t);
  const { mode } = await migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: storage });
  const settings = parseProcessorConfig({ processor: { sink: { storage, retention } }, rules: [] }).settings.sink;
  const clock = new ManualClock(Date.parse('2026-11-27T00:00:00Z'));
  const deps = { pool: db.pool, mode, registry: createRegistry('t'), log: createLogger({ name: 't', level: 'silent' }), clock };
  const sink = new HistorySink(settings, deps);
  const withRetention = (r: Record<string, string>) =>
    new HistorySink(parseProcessorConfig({ processor: { sink: { storage, retention: r } }, rules: [] }).settings.sink, deps);
  return { db, sink, mode, clock, withRetention };
}

const count = async (db: Db, table: string) => Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

/** Day partitions (plain) or chunks (TimescaleDB) of a table, as the UTC days they hold. */
async function days(db: Db, mode: StorageMode, table: string): Promise<string[]> {
  const q =
    mode === 'plain'
      ? `SELECT right(c.relname, 8) AS day FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`
      : `SELECT to_char(range_start AT TIME ZONE 'UTC', 'YYYYMMDD') AS day FROM timescaledb_information.chunks WHERE hypertable_name = $1`;
  return (await db.pool.query<{ day: string }>(q, [table])).rows.map((r) => r.day).sort();
}

for (const storage of ['timescaledb', 'plain'] as const) {
  const skip = storage === 'timescaledb' && !TIMESCALEDB ? NO_TIMESCALEDB : false;

  t.test(`${storage}: a retried batch lands once per id and the rollups do not count it twice`, { skip }, async (t) => {
    const { db, sink, mode } = await sinkFor(t, storage);
    t.equal(mode, storage);
    const events = [det({ vid: 'v1', t: 0 }), det({ vid: 'v1', phase: 'end', t: 30, started: 0 }), det({ vid: 'v2', t: 40, zone: 'P2' }), det({ vid: 'v3', t: 90000 })];
    const alerts = [exampleAlert({ alertId: 'al-1' }), exampleAlert({ alertId: 'al-2', ruleId: 'other' })];
    const health = [exampleCameraHealth({ eventId: 'h1', status: 'offline' }), exampleCameraHealth({ eventId: 'h2', status: 'online', eventTime: '2026-11-26T06:05:00.000Z' })];
    const scores = [exampleShopScore({ eventId: 's1' })];
    for (let i = 0; i < 2; i++) {
      await sink.write({ detection_events: events, alerts, camera_health: health, shop_score_changes: scores });
    }
    await sink.add({ detections: events.slice(0, 2), alerts: alerts.slice(0, 1) });
    await sink.flush();
    t.equal(await count(db, 'detection_events'), 4, 'one row per event id');
    t.equal(await count(db, 'alerts'), 2);
    t.equal(await count(db, 'camera_health'), 2);
    t.equal(await count(db, 'shop_score_changes'), 1);
    if (mode === 'timescaledb') {
      // Continuous aggregates: materialised by their policy job (every minute) or on demand.
      await db.pool.query('CALL refresh_continuous_aggregate($1, NULL, NULL)', ['violations_hourly']);
      await db.pool.query('CALL refresh_continuous_aggregate($1, NULL, NULL)', ['alerts_hourly']);
      const cagg = await db.pool.query("SELECT view_name FROM timescaledb_information.continuous_aggregates ORDER BY 1");
      t.same(cagg.rows.map((r: { view_name: string }) => r.view_name), ['alerts_hourly', 'violations_hourly'], 'the rollups are continuous aggregates');
    }
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
    t.same(await days(db, mode, 'detection_events'), ['20261126', '20261127'], 'one partition or chunk per UTC day');
    if (mode === 'plain') {
      const brin = await db.pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'detection_events_time_brin'");
      t.match(brin.rows[0]?.indexdef, /USING brin/);
    } else {
      const ht = await db.pool.query('SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1');
      t.same(ht.rows.map((r: { hypertable_name: string }) => r.hypertable_name), ['alerts', 'camera_health', 'detection_events', 'flow_counts_hourly', 'flow_counts_minute']);
    }
  });

  t.test(`${storage}: camera_status: a heartbeat moves last_seen and not since; a change moves both; older news changes nothing`, { skip }, async (t) => {
    const { db, sink } = await sinkFor(t, storage);
    let n = 0;
    let changes = 0;
    const h = (cameraId: string, status: CameraHealth['status'], reason: string, hhmm: string, heartbeat = false): CameraHealth =>
      exampleCameraHealth({ eventId: `h-${cameraId}-${++n}-${heartbeat ? 'beat' : changes++}`, cameraId, status, reason, eventTime: `2026-11-26T${hhmm}:00.000Z`, ...(heartbeat && { heartbeat }) });
    const row = async (cameraId: string) => {
      const r = await db.pool.query<{ status: string; reason: string; since: Date; last_seen: Date; heartbeats: boolean }>(
        'SELECT status, reason, since, last_seen, heartbeats FROM camera_status WHERE camera_id = $1',
        [cameraId],
      );
      const x = r.rows[0];
      return x && [x.status, x.reason, x.since.toISOString().slice(11, 16), x.last_seen.toISOString().slice(11, 16), x.heartbeats];
    };
    await sink.write({ camera_health: [h('c1', 'online', 'STREAM_OK', '06:00')] });
    t.same(await row('c1'), ['online', 'STREAM_OK', '06:00', '06:00', false], 'a first report: since and last seen; no heartbeat seen yet');
    await sink.write({ camera_health: [h('c1', 'online', 'STREAM_OK', '06:01', true)] });
    await sink.write({ camera_health: [h('c1', 'online', 'STREAM_OK', '06:02', true)] });
    t.same(await row('c1'), ['online', 'STREAM_OK', '06:00', '06:02', true], 'heartbeats: last seen moves, still online since 06:00; the camera heartbeats');
    await sink.write({ camera_health: [h('c1', 'online', 'STREAM_OK', '05:30')] });
    t.same(await row('c1'), ['online', 'STREAM_OK', '06:00', '06:02', true], 'an older event (late, replayed) changes nothing');
    await sink.write({ camera_health: [h('c1', 'offline', 'SW_EDGE_STREAM_STALLED', '06:03'), h('c1', 'offline', 'SW_EDGE_STREAM_STALLED', '06:04', true)] });
    t.same(await row('c1'), ['offline', 'SW_EDGE_STREAM_STALLED', '06:03', '06:04', true], 'a change then its heartbeat in one batch: since is the change');
    await sink.write({ camera_health: [h('c1', 'online', 'STREAM_OK', '06:05'), h('c1', 'offline', 'SW_EDGE_STREAM_STALLED', '06:06')] });
    t.same(await row('c1'), ['offline', 'SW_EDGE_STREAM_STALLED', '06:06', '06:06', true], 'back and gone again within one batch: offline since the last change');
    await sink.write({ camera_health: [h('c1', 'tampered', 'SW_EDGE_CAMERA_COVERED', '06:07', true)] });
    t.same(await row('c1'), ['tampered', 'SW_EDGE_CAMERA_COVERED', '06:07', '06:07', true], 'a heartbeat that states another state (its change was lost) is a change');
    await sink.write({ camera_health: [{ ...h('c2', 'online', 'STREAM_OK', '06:00'), eventTime: '2099-01-01T00:00:00.000Z' }] });
    const ahead = await db.pool.query<{ ok: boolean }>("SELECT last_seen <= now() AND since <= now() AS ok FROM camera_status WHERE camera_id = 'c2'");
    t.equal(ahead.rows[0]?.ok, true, 'a gateway clock ahead is held at the database\'s now: it cannot keep a camera fresh');
    t.equal(await count(db, 'camera_health'), changes, 'the changes are history rows, the heartbeats are not');
    t.ok(n > changes);
  });

  t.test(`${storage}: the last_seen migration fills existing rows with their since`, { skip }, async (t) => {
    const db = await testDatabase(t);
    const before = mkdtempSync(join(tmpdir(), 'sw-mig-'));
    t.teardown(() => rmSync(before, { recursive: true, force: true }));
    for (const f of readdirSync(MIGRATIONS_DIR)) if (/^00[1-3]_/.test(f)) copyFileSync(join(MIGRATIONS_DIR, f), join(before, f));
    await migrate(db.pool, before, { component: 'stream-processor', mode: storage });
    await db.pool.query("INSERT INTO camera_status (camera_id, gateway_id, status, reason, since) VALUES ('c1', 'gw', 'online', 'STREAM_OK', '2026-11-26T06:00:00Z')");
    const m = await migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: storage });
    t.same(m.applied, ['004_camera_last_seen.sql']);
    const r = await db.pool.query<{ last_seen: Date; heartbeats: boolean }>('SELECT last_seen, heartbeats FROM camera_status');
    t.equal(r.rows[0]?.last_seen.toISOString(), '2026-11-26T06:00:00.000Z');
    t.equal(r.rows[0]?.heartbeats, false, 'no heartbeat seen from it yet');
    await t.rejects(db.pool.query("INSERT INTO camera_status (camera_id, gateway_id, status, reason, since) VALUES ('c2', 'gw', 'online', 'STREAM_OK', now())"), /last_seen/, 'NOT NULL');
  });
}

t.test('plain: retention drops the day partitions older than sink.retention', async (t) => {
  const { db, sink, clock, withRetention } = await sinkFor(t, 'plain');
  await sink.write({ detection_events: [det({ vid: 'old', t: 0 })], camera_health: [exampleCameraHealth({ eventId: 'h1', eventTime: new Date(T0).toISOString() })] });
  t.equal(await sink.applyRetention(), 0, 'within 90 days');
  clock.set(T0 + 40 * 86_400_000);
  t.equal(await sink.applyRetention(), 1, 'camera health (default 30 days) goes, detections (90 days) stay');
  t.equal(await count(db, 'camera_health'), 0);
  t.equal(await count(db, 'detection_events'), 1);
  t.equal(await withRetention({ detections: '20d' }).applyRetention(), 1, 'a shorter configured age drops the detections too');
  t.equal(await count(db, 'detection_events'), 0);
});

t.test('timescaledb: sink.retention becomes each hypertable\'s retention policy, and its job drops old chunks', { skip: TIMESCALEDB ? false : NO_TIMESCALEDB }, async (t) => {
  const { db, sink, withRetention } = await sinkFor(t, 'timescaledb');
  const policies = async () =>
    (
      await db.pool.query<{ hypertable_name: string; drop_after: string }>(
        "SELECT hypertable_name, config->>'drop_after' AS drop_after FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' ORDER BY 1",
      )
    ).rows.map((r) => [r.hypertable_name, r.drop_after]);
  t.same(await policies(), [], 'the migration sets no age itself');
  t.equal(await sink.applyRetention(), 4, 'defaults: four policies');
  t.same(await policies(), [['alerts', '365 days'], ['camera_health', '30 days'], ['detection_events', '90 days'], ['flow_counts_minute', '35 days']]);
  t.equal(await sink.applyRetention(), 0, 'unchanged config: policies kept');

  // Jobs compare with the database's clock: one row well past 5 days, one from an hour ago.
  const hourAgo = (Date.now() - 3_600_000 - T0) / 1000;
  await sink.write({ detection_events: [det({ vid: 'old', t: -20 * 86_400 }), det({ vid: 'recent', t: hourAgo })] });
  const short = withRetention({ detections: '5d' });
  t.equal(await short.applyRetention(), 1, 'a changed age replaces that table\'s policy only');
  t.same(await policies(), [['alerts', '365 days'], ['camera_health', '30 days'], ['detection_events', '5 days'], ['flow_counts_minute', '35 days']]);
  const job = await db.pool.query<{ job_id: number }>("SELECT job_id FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention' AND hypertable_name = 'detection_events'");
  await db.pool.query('CALL run_job($1)', [job.rows[0]?.job_id]);
  const left = await db.pool.query<{ violation_id: string }>('SELECT violation_id FROM detection_events');
  t.same(left.rows.map((r) => r.violation_id), ['recent'], 'the old chunk is dropped, the recent one kept');
});

t.test('storage timescaledb where the extension cannot be enabled fails at start with the reason; auto runs plain', async (t) => {
  const db = await testDatabase(t);
  // A schema of the extension's name already there makes CREATE EXTENSION fail, with or without
  // TimescaleDB installed.
  await db.pool.query('CREATE SCHEMA _timescaledb_catalog');
  await t.rejects(migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: 'timescaledb' }), {
    code: 'SW_PG_TIMESCALEDB_UNAVAILABLE',
    message: /CREATE EXTENSION timescaledb failed/,
  });
  const auto = await migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: 'auto' });
  t.equal(auto.mode, 'plain');
  t.match(auto.fallback, /CREATE EXTENSION timescaledb/, 'and says why');
  t.same(auto.applied, ['001_task_state.sql', '002_history.plain.sql', '003_flow_counts.plain.sql', '004_camera_last_seen.sql']);
});
