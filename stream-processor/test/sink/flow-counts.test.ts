// Flow counts (issue 15) into PostgreSQL in both storage modes: the gateways' minutes, and the
// hourly rollup upserted by (hour, camera, line, class, direction) in the same statement, counted
// once however often a minute is redelivered. Through the broker (consumer, DLQ):
// test/consumer/camera-health.test.ts.
import t from 'tap';
import { createLogger, createRegistry, migrate, type StorageMode } from '@streetwatch/platform';
import { testDatabase } from '@streetwatch/platform/testing';
import { exampleFlowCount, type FlowCount } from '@streetwatch/schemas';
import { MIGRATIONS_DIR } from '../../src/app.js';
import { parseProcessorConfig } from '../../src/config/load.js';
import { HistorySink } from '../../src/sink/history.js';
import { ManualClock } from '../../src/time/clock.js';

const TIMESCALEDB = process.env.STREETWATCH_PG_TIMESCALEDB ?? '';
const NO_TIMESCALEDB = 'this PostgreSQL runs without TimescaleDB (no source to build it from: `stack.sh up` printed why); the plain mode still runs';

const minute = (cameraId: string, lineId: string, at: string, person: [number, number], o: Partial<FlowCount> = {}): FlowCount =>
  exampleFlowCount({
    eventId: `f-${cameraId}-${lineId}-${at}-${o.observedSeconds ?? 60}`,
    cameraId,
    lineId,
    minute: at,
    counts: [
      { objectClass: 'person', direction: 'in', count: person[0] },
      { objectClass: 'person', direction: 'out', count: person[1] },
      { objectClass: 'vehicle', direction: 'in', count: 0 },
      { objectClass: 'vehicle', direction: 'out', count: 0 },
    ],
    ...o,
  });

type Row = { bucket: Date; camera_id: string; line_id: string; object_class: string; direction: string; count: string; observed_s: number };

for (const storage of ['timescaledb', 'plain'] as const) {
  const skip = storage === 'timescaledb' && !TIMESCALEDB ? NO_TIMESCALEDB : false;

  t.test(`${storage}: minutes roll up per hour, camera, line, class and direction; a redelivered minute counts once`, { skip }, async (t) => {
    const db = await testDatabase(t);
    const { mode } = await migrate(db.pool, MIGRATIONS_DIR, { component: 'stream-processor', mode: storage as StorageMode });
    t.equal(mode, storage);
    const settings = parseProcessorConfig({ processor: { sink: { storage } }, rules: [] }).settings.sink;
    const sink = new HistorySink(settings, { pool: db.pool, mode, registry: createRegistry('t'), log: createLogger({ name: 't', level: 'silent' }), clock: new ManualClock(Date.parse('2026-11-27T00:00:00Z')) });
    const flows = [
      minute('cam-03', 'L1', '2026-11-26T06:03:00.000Z', [7, 4]),
      minute('cam-03', 'L1', '2026-11-26T06:04:00.000Z', [2, 0]),
      // the gateway restarted inside 06:05: two messages of that minute, each for its own frames
      minute('cam-03', 'L1', '2026-11-26T06:05:00.000Z', [1, 1], { observedSeconds: 20 }),
      minute('cam-03', 'L1', '2026-11-26T06:05:00.000Z', [0, 2], { observedSeconds: 30 }),
      minute('cam-03', 'L2', '2026-11-26T06:59:00.000Z', [5, 5]),
      minute('cam-03', 'L1', '2026-11-26T07:00:00.000Z', [3, 0]), // next hour
      minute('cam-04', 'L1', '2026-11-27T00:10:00.000Z', [1, 0], { gridId: 'grid-4' }), // next UTC day
    ];
    await sink.write({ flow_counts_minute: flows });
    await sink.write({ flow_counts_minute: flows.slice(0, 3) }); // redelivered after a crash
    await sink.add({ flows: flows.slice(4) });
    await sink.flush();
    const rows = (
      await db.pool.query<Row>(`SELECT bucket, camera_id, line_id, object_class, direction, count, observed_s FROM flow_counts_hourly
        WHERE object_class = 'person' ORDER BY bucket, camera_id, line_id, direction`)
    ).rows.map((r) => `${r.bucket.toISOString().slice(0, 13)} ${r.camera_id} ${r.line_id} ${r.direction} ${r.count} ${r.observed_s}`);
    t.same(rows, [
      '2026-11-26T06 cam-03 L1 in 10 170', // 7 + 2 + 1 + 0; watched 60 + 60 + 20 + 30 s
      '2026-11-26T06 cam-03 L1 out 7 170',
      '2026-11-26T06 cam-03 L2 in 5 60',
      '2026-11-26T06 cam-03 L2 out 5 60',
      '2026-11-26T07 cam-03 L1 in 3 60',
      '2026-11-26T07 cam-03 L1 out 0 60',
      '2026-11-27T00 cam-04 L1 in 1 60',
      '2026-11-27T00 cam-04 L1 out 0 60',
    ]);
    const zeros = await db.pool.query(`SELECT count(*)::int AS n FROM flow_counts_hourly WHERE object_class = 'vehicle' AND count = 0`);
    t.equal(zeros.rows[0].n, 8, 'zero counts are rows too (watched, nobody crossed)');
    t.equal((await db.pool.query('SELECT count(*)::int AS n FROM flow_counts_minute')).rows[0].n, flows.length * 4, 'one minute row per message, class and direction');
    const grid = await db.pool.query(`SELECT DISTINCT grid_id FROM flow_counts_hourly WHERE camera_id = 'cam-04'`);
    t.same(grid.rows, [{ grid_id: 'grid-4' }]);
    if (mode === 'timescaledb') {
      const h = await db.pool.query("SELECT hypertable_name FROM timescaledb_information.hypertables WHERE hypertable_name LIKE 'flow_counts%' ORDER BY 1");
      t.same(h.rows.map((r: { hypertable_name: string }) => r.hypertable_name), ['flow_counts_hourly', 'flow_counts_minute']);
    } else {
      const parts = await db.pool.query(
        `SELECT right(c.relname, 8) AS day FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'flow_counts_minute' ORDER BY 1`,
      );
      t.same(parts.rows.map((r: { day: string }) => r.day), ['20261126', '20261127'], 'minute rows in day partitions');
      t.equal(await sink.applyRetention(), 0, 'minutes within 35 days stay');
      const old = new HistorySink(parseProcessorConfig({ processor: { sink: { storage, retention: { flowMinutes: '1h' } } }, rules: [] }).settings.sink, {
        pool: db.pool,
        mode,
        registry: createRegistry('t2'),
        log: createLogger({ name: 't', level: 'silent' }),
        clock: new ManualClock(Date.parse('2026-11-27T12:00:00Z')),
      });
      t.equal(await old.applyRetention(), 1, 'sink.retention.flowMinutes drops old minute partitions');
      t.equal((await db.pool.query(`SELECT count(*)::int AS n FROM flow_counts_hourly WHERE bucket < '2026-11-27'`)).rows[0].n > 0, true, 'the hourly rollup stays');
    }
  });
}
