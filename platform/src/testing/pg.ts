import pg from 'pg';
import { stackSettings } from '../env.js';
import { createPool, type PgSettings } from '../pg/pool.js';
import { uniqueId, waitFor, type TeardownHost } from './wait.js';

export interface TestDatabase {
  readonly pool: pg.Pool;
  readonly settings: PgSettings;
}

/** A fresh database on the stack's PostgreSQL for one test, dropped in teardown. */
export async function testDatabase(t: TeardownHost): Promise<TestDatabase> {
  const base = stackSettings().pg;
  const name = uniqueId('swtest').toLowerCase();
  const admin = new pg.Client({ ...base, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const settings: PgSettings = { ...base, database: name };
  const pool = createPool(settings);
  t.teardown(async () => {
    await pool.end();
    const c = new pg.Client({ ...base, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      // FORCE terminates our own leftover sessions but refuses (42501) while a backend of no role of
      // ours is in the database: an autovacuum worker the launcher sent there (any database can get
      // one at any moment) or a connection still starting. Both go away by themselves: retry.
      await waitFor(
        `test database ${name} dropped`,
        async () => {
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } finally {
      await c.end();
    }
  });
  return { pool, settings };
}
