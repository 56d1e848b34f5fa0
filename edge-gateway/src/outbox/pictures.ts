/**
 * Evidence pictures waiting for the object store, in the outbox's own SQLite database (table
 * `pictures`): appended in the SAME fsynced transaction as the events that reference them, so a
 * picture is exactly as durable as its event. The uploader (upload/uploader.ts) drains them in
 * seq order, independently of the Kafka publisher: a store outage does not hold alerts back and
 * a Kafka outage does not hold pictures back.
 *
 * DROP POLICY for pictures (bounded by outbox.maxPictureBytes and outbox.maxAgeSeconds; every
 * drop counted in streetwatch_edge_evidence_dropped_total{reason}, the first of an episode
 * logged at error):
 *  1. `expired`: pictures older than maxAgeSeconds (the store was unreachable that long);
 *  2. over maxPictureBytes: `full_update` — the OLDEST pictures of `update` events (the start and
 *     the end of a violation carry its proof); then `full_oldest` — the oldest of any phase;
 *  3. `oversize`: one picture larger than maxPictureBytes is never queued.
 * A dropped picture's event still names its key: the router answers "picture lost on the box".
 */
import type Database from 'better-sqlite3';
import type { OutboxPhase } from './types.js';

export type PictureDropReason = 'expired' | 'full_update' | 'full_oldest' | 'oversize';

export interface PictureRecord {
  /** Object key in the evidence bucket. */
  readonly key: string;
  readonly body: Buffer;
  /** hex sha256 of body (also in the event). */
  readonly sha256: string;
  readonly contentType: 'image/jpeg';
  /** Phase of the event the picture belongs to (`update` pictures are dropped first). */
  readonly phase: OutboxPhase;
  readonly createdAt?: number;
}

export interface StoredPicture {
  readonly seq: number;
  readonly key: string;
  readonly body: Buffer;
  readonly sha256: string;
  readonly contentType: 'image/jpeg';
  readonly phase: OutboxPhase;
  readonly createdAt: number;
}

export const PICTURES_SCHEMA = `
CREATE TABLE IF NOT EXISTS pictures (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  body BLOB NOT NULL,
  sha256 TEXT NOT NULL,
  content_type TEXT NOT NULL,
  phase TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pictures_update ON pictures(seq) WHERE phase = 'update';
CREATE INDEX IF NOT EXISTS pictures_created ON pictures(created_at);
`;

/** Counters of the pictures table; mutated only inside the outbox's transactions. */
export interface PictureTotals {
  count: number;
  bytes: number;
}

export function loadPictureTotals(db: Database.Database): PictureTotals {
  const s = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM pictures').get() as { n: number; b: number };
  return { count: s.n, bytes: s.b };
}

/**
 * Insert `pictures` and apply the bounds, inside the caller's transaction. Returns the new
 * totals and the drops by reason (the caller counts and logs them after the commit).
 */
export function insertPictures(
  db: Database.Database,
  pictures: readonly PictureRecord[],
  totals: PictureTotals,
  bounds: { maxBytes: number; maxAgeMs: number; now: number },
): { totals: PictureTotals; drops: Partial<Record<PictureDropReason, number>> } {
  let { count, bytes } = totals;
  const drops: Partial<Record<PictureDropReason, number>> = {};
  const expired = expirePictures(db, bounds.now - bounds.maxAgeMs);
  count -= expired.n;
  bytes -= expired.bytes;
  if (expired.n) drops.expired = expired.n;
  const insert = db.prepare('INSERT INTO pictures (key, body, sha256, content_type, phase, created_at, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const p of pictures) {
    if (p.body.length > bounds.maxBytes) {
      drops.oversize = (drops.oversize ?? 0) + 1;
      continue;
    }
    insert.run(p.key, p.body, p.sha256, p.contentType, p.phase, p.createdAt ?? bounds.now, p.body.length);
    count++;
    bytes += p.body.length;
  }
  for (const [reason, sql] of [
    ['full_update', "SELECT seq, bytes FROM pictures WHERE phase = 'update' ORDER BY seq LIMIT 256"],
    ['full_oldest', 'SELECT seq, bytes FROM pictures ORDER BY seq LIMIT 256'],
  ] as const) {
    const pick = db.prepare(sql);
    const del = db.prepare('DELETE FROM pictures WHERE seq = ?');
    while (bytes > bounds.maxBytes) {
      const rows = pick.all() as Array<{ seq: number; bytes: number }>;
      if (rows.length === 0) break;
      for (const row of rows) {
        if (bytes <= bounds.maxBytes) break;
        del.run(row.seq);
        count--;
        bytes -= row.bytes;
        drops[reason] = (drops[reason] ?? 0) + 1;
      }
    }
  }
  return { totals: { count, bytes }, drops };
}

export function expirePictures(db: Database.Database, cutoff: number): { n: number; bytes: number } {
  const r = db.prepare('DELETE FROM pictures WHERE created_at < ? RETURNING bytes').all(cutoff) as Array<{ bytes: number }>;
  let bytes = 0;
  for (const x of r) bytes += x.bytes;
  return { n: r.length, bytes };
}

interface PictureRow {
  seq: number;
  key: string;
  body: Buffer;
  sha256: string;
  content_type: 'image/jpeg';
  phase: OutboxPhase;
  created_at: number;
}

export function peekPictures(db: Database.Database, limit: number): StoredPicture[] {
  const rows = db
    .prepare('SELECT seq, key, body, sha256, content_type, phase, created_at FROM pictures ORDER BY seq LIMIT ?')
    .all(Math.max(0, limit)) as PictureRow[];
  return rows.map((r) => ({ seq: r.seq, key: r.key, body: r.body, sha256: r.sha256, contentType: r.content_type, phase: r.phase, createdAt: r.created_at }));
}
