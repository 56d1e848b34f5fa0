import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { detectStorageMode, migrate } from '../../src/index.js';
import { testDatabase } from '../../src/testing/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'migrations');

t.test('migrations apply once and re-running them is a no-op', async (t) => {
  const { pool } = await testDatabase(t);
  const first = await migrate(pool, fixtures, { component: 'fixture' });
  t.same(first.applied, ['001_base.sql', `002_events.${first.mode}.sql`]);
  const second = await migrate(pool, fixtures, { component: 'fixture' });
  t.same(second.applied, [], 'nothing applied the second time');
  t.equal(second.skipped.length, 2);
  const rows = await pool.query('SELECT version FROM schema_migrations WHERE component = $1 ORDER BY version', ['fixture']);
  t.same(rows.rows.map((r: { version: string }) => r.version), ['001', '002']);
});

t.test('the storage mode is reported and the plain mode partitions by time with a BRIN index', async (t) => {
  const { pool } = await testDatabase(t);
  const mode = await detectStorageMode(pool);
  t.ok(mode === 'plain' || mode === 'timescaledb');
  await migrate(pool, fixtures, { component: 'fixture', mode });
  if (mode === 'plain') {
    const part = await pool.query("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'fixture_events'::regclass");
    t.equal(part.rows[0]?.partstrat, 'r', 'range partitioned');
    const idx = await pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'fixture_events_time_brin'");
    t.match(idx.rows[0]?.indexdef, /USING brin/);
  } else {
    const ht = await pool.query("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = 'fixture_events'");
    t.equal(ht.rowCount, 1);
  }
});

t.test('an edited migration that was already applied is refused with its file name', async (t) => {
  const { pool } = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'mig-'));
  cpSync(fixtures, dir, { recursive: true });
  await migrate(pool, dir, { component: 'fixture' });
  writeFileSync(join(dir, '001_base.sql'), 'SELECT 1;');
  await t.rejects(migrate(pool, dir, { component: 'fixture' }), { code: 'SW_PG_MIGRATION_FAILED', message: /001_base\.sql/ });
});

t.test('a failing migration rolls back and names the file', async (t) => {
  const { pool } = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'mig-'));
  writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE a (x int);');
  writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE b (x int); SELECT * FROM no_such_table;');
  await t.rejects(migrate(pool, dir, { component: 'broken' }), { code: 'SW_PG_MIGRATION_FAILED', message: /002_bad\.sql.*no_such_table/ });
  const b = await pool.query("SELECT to_regclass('b') AS b");
  t.equal(b.rows[0]?.b, null, 'the failed migration left nothing behind');
});

t.test('a folder without mode-specific migrations runs plain and never enables TimescaleDB', async (t) => {
  const { pool } = await testDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'mig-'));
  writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE a (x int);');
  const r = await migrate(pool, dir, { component: 'no-variants' });
  t.equal(r.mode, 'plain');
  const ext = await pool.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  t.equal(ext.rowCount, 0, 'no extension (and no job scheduler) in a database that has no use for it');
});
