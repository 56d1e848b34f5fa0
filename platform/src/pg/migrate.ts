import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { StreetwatchError } from '../errors.js';

export type StorageMode = 'timescaledb' | 'plain';

export interface MigrationResult {
  readonly mode: StorageMode;
  readonly applied: string[];
  readonly skipped: string[];
}

interface MigrationFile {
  readonly version: string;
  readonly name: string;
  readonly file: string;
  readonly sql: string;
  readonly checksum: string;
}

/**
 * Try to enable TimescaleDB; report which storage mode the database runs in. Plain PostgreSQL
 * mode uses native range partitioning by time + BRIN indexes and rollup tables instead.
 */
export async function detectStorageMode(pool: pg.Pool): Promise<StorageMode> {
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return 'timescaledb';
  } catch {
    return 'plain';
  }
}

/**
 * Versioned migrations: files `NNN_name.sql`, or mode-specific `NNN_name.timescaledb.sql` /
 * `NNN_name.plain.sql` (one of the pair runs, by storage mode). Each runs once, in its own
 * transaction, under an advisory lock (several instances may start together); a changed file that
 * was already applied is an error, not silently re-run. Re-running is a no-op.
 */
export async function migrate(
  pool: pg.Pool,
  dir: string,
  opts: { component: string; mode?: StorageMode },
): Promise<MigrationResult> {
  const mode = opts.mode ?? (await detectStorageMode(pool));
  const files = readMigrations(dir, mode);
  const client = await pool.connect();
  const lockKey = hash32(`streetwatch-migrations:${opts.component}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component text NOT NULL,
      version text NOT NULL,
      name text NOT NULL,
      checksum text NOT NULL,
      storage_mode text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (component, version))`);
    const done = await client.query<{ version: string; checksum: string; name: string }>(
      'SELECT version, checksum, name FROM schema_migrations WHERE component = $1',
      [opts.component],
    );
    const applied: string[] = [];
    const skipped: string[] = [];
    for (const m of files) {
      const prev = done.rows.find((r) => r.version === m.version);
      if (prev) {
        if (prev.checksum !== m.checksum) {
          throw new StreetwatchError(
            'SW_PG_MIGRATION_FAILED',
            `${m.file}: already applied with a different checksum; never edit an applied migration, add a new one`,
          );
        }
        skipped.push(m.file);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(m.sql);
        await client.query(
          'INSERT INTO schema_migrations (component, version, name, checksum, storage_mode) VALUES ($1, $2, $3, $4, $5)',
          [opts.component, m.version, m.name, m.checksum, mode],
        );
        await client.query('COMMIT');
        applied.push(m.file);
      } catch (cause) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (cause instanceof StreetwatchError) throw cause;
        throw new StreetwatchError('SW_PG_MIGRATION_FAILED', `${m.file}: ${(cause as Error).message}`, { cause });
      }
    }
    return { mode, applied, skipped };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
}

function readMigrations(dir: string, mode: StorageMode): MigrationFile[] {
  const out = new Map<string, MigrationFile>();
  for (const file of readdirSync(dir).sort()) {
    const m = /^(\d{3,})_([a-z0-9_]+?)(?:\.(timescaledb|plain))?\.sql$/.exec(file);
    if (!m) continue;
    const [, version, name, variant] = m as unknown as [string, string, string, string | undefined];
    if (variant && variant !== mode) continue;
    if (out.has(version)) {
      throw new StreetwatchError('SW_PG_MIGRATION_FAILED', `${file}: version ${version} is used twice in ${dir}`);
    }
    const sql = readFileSync(join(dir, file), 'utf8');
    out.set(version, { version, name, file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return [...out.values()];
}

function hash32(s: string): number {
  return createHash('sha256').update(s).digest().readInt32BE(0);
}
