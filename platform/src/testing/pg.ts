import pg from 'pg';
import { stackSettings } from '../env.js';
import { createPool, type PgSettings } from '../pg/pool.js';
import { uniqueId, type TeardownHost } from './wait.js';

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
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return { pool, settings };
}
