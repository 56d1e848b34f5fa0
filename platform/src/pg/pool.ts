import pg from 'pg';
import { StreetwatchError } from '../errors.js';

export interface PgSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly max?: number;
  readonly connectionTimeoutMillis?: number;
  readonly statementTimeoutMillis?: number;
  readonly applicationName?: string;
}

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** A pool with bounded connect and statement times. `check()` fails fast with a coded error. */
export function createPool(s: PgSettings): pg.Pool {
  const pool = new pg.Pool({
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database: s.database,
    max: s.max ?? 10,
    connectionTimeoutMillis: s.connectionTimeoutMillis ?? 5000,
    statement_timeout: s.statementTimeoutMillis ?? 30000,
    application_name: s.applicationName ?? 'streetwatch',
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

export async function checkPool(pool: pg.Pool, s: Pick<PgSettings, 'host' | 'port' | 'database'>): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    throw new StreetwatchError(
      'SW_PG_UNAVAILABLE',
      `PostgreSQL at ${s.host}:${s.port}/${s.database} is not reachable (${(cause as Error).message}); is the stack up? run \`npm run stack:up\``,
      { cause, retryable: true },
    );
  }
}

/** Run `fn` in a transaction; rolls back on error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
