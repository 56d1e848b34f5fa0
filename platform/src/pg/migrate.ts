import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { StreetwatchError } from '../errors.js';

export type StorageMode = 'timescaledb' | 'plain';
/** What a service's config asks for: a mode, or `auto` (TimescaleDB where it can be enabled). */
export type StorageChoice = StorageMode | 'auto';
export const STORAGE_CHOICES: readonly StorageChoice[] = ['auto', 'timescaledb', 'plain'];

export interface MigrationResult {
  readonly mode: StorageMode;
  /** Why `auto` ran plain (the database's answer to CREATE EXTENSION), when it did. */
  readonly fallback?: string;
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
  return (await resolveStorageMode(pool, 'auto')).mode;
}

/**
 * The storage mode for a choice: `plain` as asked; `timescaledb` enables the extension or fails
 * (SW_PG_TIMESCALEDB_UNAVAILABLE, with the database's reason); `auto` enables it when it can and
 * otherwise runs plain, saying why in `fallback`. Enabling needs the library preloaded
 * (shared_preload_libraries) and the extension installed; it is a trusted extension, so the
 * database's owner may create it.
 */
export async function resolveStorageMode(pool: pg.Pool, choice: StorageChoice): Promise<{ mode: StorageMode; fallback?: string }> {
  if (choice === 'plain') return { mode: 'plain' };
  try {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    return { mode: 'timescaledb' };
  } catch (cause) {
    const why = (cause as Error).message;
    if (choice === 'auto') return { mode: 'plain', fallback: `CREATE EXTENSION timescaledb: ${why}` };
    throw new StreetwatchError('SW_PG_TIMESCALEDB_UNAVAILABLE', `storage mode timescaledb: CREATE EXTENSION timescaledb failed: ${why}`, { cause });
  }
}

/**
 * Versioned migrations: files `NNN_name.sql`, or mode-specific `NNN_name.timescaledb.sql` /
 * `NNN_name.plain.sql` (one of the pair runs, by storage mode: `opts.mode`, default `auto`). Each
 * runs once, in its own transaction, under an advisory lock (several instances may start
 * together); a changed file that was already applied is an error, not silently re-run. Re-running
 * is a no-op. A folder without mode-specific files never touches the extension (mode `plain`).
 */
export async function migrate(
  pool: pg.Pool,
  dir: string,
  opts: { component: string; mode?: StorageChoice },
): Promise<MigrationResult> {
  const choice = opts.mode ?? 'auto';
  const { mode, fallback } = hasVariants(dir) ? await resolveStorageMode(pool, choice) : { mode: 'plain' as const, fallback: undefined };
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
    return fallback === undefined ? { mode, applied, skipped } : { mode, fallback, applied, skipped };
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => undefined);
    client.release();
  }
}

const MIGRATION_FILE = /^(\d{3,})_([a-z0-9_]+?)(?:\.(timescaledb|plain))?\.sql$/;

function hasVariants(dir: string): boolean {
  return readdirSync(dir).some((file) => MIGRATION_FILE.exec(file)?.[3] !== undefined);
}

function readMigrations(dir: string, mode: StorageMode): MigrationFile[] {
  const out = new Map<string, MigrationFile>();
  for (const file of readdirSync(dir).sort()) {
    const m = MIGRATION_FILE.exec(file);
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
