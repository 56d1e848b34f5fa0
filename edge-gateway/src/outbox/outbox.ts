import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { counter, gauge, type Logger, type Registry } from '@streetwatch/platform';
import type { OutboxConfig } from './config.js';
import { OutboxError } from './errors.js';
import { expirePictures, insertPictures, loadPictureTotals, peekPictures, PICTURES_SCHEMA, type PictureDropReason, type PictureRecord, type PictureTotals, type StoredPicture } from './pictures.js';
import { COLS, phaseOf, SCHEMA, sizeOf, toStored, type DropReason, type Row } from './rows.js';
import { OUTBOX_TOPICS, type AppendResult, type OutboxRecord, type RejectedRecord, type StoredRecord } from './types.js';

// The record types also come from here (importers of outbox.js see the whole API).
export { OUTBOX_TOPICS, type AppendResult, type OutboxPhase, type OutboxRecord, type OutboxTopic, type RejectedRecord, type StoredRecord } from './types.js';

export interface OutboxDeps {
  readonly log: Logger;
  readonly registry: Registry;
  /** Clock (ms); tests inject one to age records without waiting. */
  readonly now?: () => number;
}

/**
 * Durable on-disk outbox between the pipeline and Kafka (SQLite through better-sqlite3, WAL,
 * synchronous=FULL: `append` has been fsynced when it returns, so it survives a process kill or a
 * power cut). Records keep insertion order by a monotonically increasing `seq` (AUTOINCREMENT:
 * never reused, even after the newest rows are deleted). A record leaves only by `ack` (Kafka
 * acknowledged it), `reject` (it fails its contract: moved to the `rejected` table), or the drop
 * policy below. Kafka being down never makes `append` throw: the outbox just grows.
 *
 * DROP POLICY (bounded by bytes and age; every drop is counted in
 * streetwatch_edge_outbox_dropped_total{reason}):
 *  1. `expired`: records older than maxAgeSeconds are dropped, whatever their kind (Kafka has been
 *     unreachable for longer than the data is worth). Logged at error once per episode (until the
 *     next successful ack).
 *  2. When queued bytes (key + value + eventId) would exceed maxBytes, room is made by dropping, in
 *     order: `full_update` — the OLDEST detection `update` messages (they only refresh the dwell
 *     of a violation whose start was kept, and the next update/end carries the newer dwell) and
 *     camera heartbeats (records appended `droppable`: they re-state a state already queued);
 *     then `full_oldest` — the oldest records of any kind (start/end/health), kept as long as
 *     possible. New records are inserted first, so a new `update` is itself a candidate.
 *     Entering the full state logs one error and sets streetwatch_edge_outbox_full 1; it clears
 *     (one warn, gauge 0) once the bytes fall below lowWatermark x maxBytes.
 *  3. `oversize`: a single record larger than maxBytes is never queued (logged, counted).
 * A record dropped while the publisher has it in flight may still reach Kafka.
 *
 * Evidence pictures live in the same database (table `pictures`, see pictures.ts for their own
 * bound and drop policy): `append(records, pictures)` writes both in one fsynced transaction, the
 * pictures first; the uploader drains them (peekPictures / ackPicture) apart from the publisher.
 */
export class Outbox {
  private db: Database.Database | undefined;
  private closed = false;
  private count = 0;
  private total = 0;
  private full = false;
  private expiring = false;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly listeners = new Set<() => void>();
  private readonly pictureListeners = new Set<() => void>();
  private pics: PictureTotals = { count: 0, bytes: 0 };
  private picturesFull = false;
  private readonly m;

  constructor(
    private readonly config: OutboxConfig,
    deps: OutboxDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.log = deps.log.child({ component: 'outbox' });
    const r = deps.registry;
    this.m = {
      depth: gauge(r, 'streetwatch_edge_outbox_depth', 'Records waiting in the outbox for Kafka'),
      bytes: gauge(r, 'streetwatch_edge_outbox_bytes', 'Queued payload bytes in the outbox (bounded by outbox.maxBytes)'),
      age: gauge(r, 'streetwatch_edge_outbox_oldest_age_seconds', 'Age of the oldest record waiting in the outbox'),
      full: gauge(r, 'streetwatch_edge_outbox_full', '1 while the outbox is at its byte bound and dropping by policy'),
      dropped: counter(r, 'streetwatch_edge_outbox_dropped_total', 'Records dropped by the outbox bounds', ['reason']),
      rejected: counter(r, 'streetwatch_edge_outbox_rejected_total', 'Records moved to the rejected table (invalid for their contract)', ['topic', 'code']),
      picDepth: gauge(r, 'streetwatch_edge_evidence_queue_depth', 'Evidence pictures waiting for the object store'),
      picBytes: gauge(r, 'streetwatch_edge_evidence_queue_bytes', 'Bytes of evidence pictures waiting (bounded by outbox.maxPictureBytes)'),
      picAge: gauge(r, 'streetwatch_edge_evidence_queue_oldest_age_seconds', 'Age of the oldest evidence picture waiting for the object store'),
      picDropped: counter(r, 'streetwatch_edge_evidence_dropped_total', 'Evidence pictures dropped by the outbox bounds', ['reason']),
    };
  }

  /** Open (or create) the database and load its counters. Idempotent. */
  start(): void {
    if (this.db) return;
    if (this.closed) throw new OutboxError('SW_EDGE_OUTBOX_CLOSED', 'start() after close()');
    try {
      // Its folder is made here (it used to be a side effect of the local evidence folder beside it).
      if (this.config.path !== ':memory:') mkdirSync(dirname(this.config.path), { recursive: true });
      const db = new Database(this.config.path, { timeout: 1000 });
      // One gateway per outbox file: a second process gets SQLITE_BUSY instead of interleaving.
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      db.exec(PICTURES_SCHEMA);
      this.pics = loadPictureTotals(db);
      const s = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM outbox').get() as { n: number; b: number };
      this.count = s.n;
      this.total = s.b;
      this.db = db;
    } catch (e) {
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `opening ${this.config.path}: ${(e as Error).message}`, { cause: e });
    }
    this.log.info({ path: this.config.path, depth: this.count, bytes: this.total, pictures: this.pics.count }, 'outbox opened');
    this.refreshGauges();
  }

  /**
   * Durably append records (one fsynced transaction), in order. Applies the age and byte bounds
   * (see the drop policy above). Throws only for malformed records or a disk failure.
   */
  append(records: readonly OutboxRecord[], pictures: readonly PictureRecord[] = []): AppendResult {
    const db = this.open();
    for (const r of records) {
      if (!OUTBOX_TOPICS.includes(r.topic) || !r.key || !r.eventId || typeof r.value !== 'string') {
        throw new OutboxError('SW_EDGE_OUTBOX_RECORD_INVALID', `topic=${String(r.topic)} key=${String(r.key)} eventId=${String(r.eventId)}`);
      }
    }
    if (records.length === 0 && pictures.length === 0) return { seqs: [], dropped: 0 };
    const now = this.now();
    let picDrops: Partial<Record<PictureDropReason, number>> = {};
    const drops: Partial<Record<DropReason, number>> = {};
    const seqs: number[] = [];
    const insert = db.prepare(
      'INSERT INTO outbox (topic, key, value, event_id, created_at, phase, droppable, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tx = db.transaction(() => {
      if (pictures.length > 0) {
        // Pictures first: they are in the store no later than their events reach Kafka, when both are up.
        const r = insertPictures(db, pictures, this.pics, { maxBytes: this.config.maxPictureBytes, maxAgeMs: this.config.maxAgeSeconds * 1000, now });
        this.pics = r.totals;
        picDrops = r.drops;
      }
      let count = this.count;
      let total = this.total;
      const expired = this.expireIn(db, now);
      count -= expired.n;
      total -= expired.bytes;
      if (expired.n) drops.expired = expired.n;
      for (const r of records) {
        const bytes = sizeOf(r);
        if (bytes > this.config.maxBytes) {
          drops.oversize = (drops.oversize ?? 0) + 1;
          this.log.error({ eventId: r.eventId, topic: r.topic, bytes, maxBytes: this.config.maxBytes }, 'record larger than the whole outbox: dropped');
          continue;
        }
        const phase = phaseOf(r);
        const info = insert.run(r.topic, r.key, r.value, r.eventId, r.createdAt ?? now, phase, phase === 'update' || r.droppable === true ? 1 : 0, bytes);
        seqs.push(Number(info.lastInsertRowid));
        count++;
        total += bytes;
      }
      for (const [reason, sql] of [
        ['full_update', 'SELECT seq, bytes FROM outbox WHERE droppable = 1 ORDER BY seq LIMIT 512'],
        ['full_oldest', 'SELECT seq, bytes FROM outbox ORDER BY seq LIMIT 512'],
      ] as const) {
        const pick = db.prepare(sql);
        const del = db.prepare('DELETE FROM outbox WHERE seq = ?');
        while (total > this.config.maxBytes) {
          const rows = pick.all() as Array<{ seq: number; bytes: number }>;
          if (rows.length === 0) break;
          for (const row of rows) {
            if (total <= this.config.maxBytes) break;
            del.run(row.seq);
            count--;
            total -= row.bytes;
            drops[reason] = (drops[reason] ?? 0) + 1;
          }
        }
      }
      return { count, total };
    });
    let after: { count: number; total: number };
    const picsBefore = this.pics;
    try {
      after = tx();
    } catch (e) {
      this.pics = picsBefore;
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `append of ${records.length} records: ${(e as Error).message}`, { cause: e });
    }
    this.count = after.count;
    this.total = after.total;
    let dropped = 0;
    for (const [reason, n] of Object.entries(drops)) {
      this.m.dropped.inc({ reason }, n);
      dropped += n;
    }
    if (drops.expired) this.noteExpired(drops.expired);
    if (drops.full_update || drops.full_oldest) this.setFull(true, drops);
    this.notePictureDrops(picDrops);
    this.refreshGauges();
    if (seqs.length) for (const l of this.listeners) l();
    if (pictures.length) for (const l of this.pictureListeners) l();
    return { seqs, dropped };
  }

  /** Oldest waiting pictures first, at most `limit`. */
  peekPictures(limit: number): StoredPicture[] {
    return peekPictures(this.open(), limit);
  }

  /** The object store has the picture: forget it. Returns whether it was still queued. */
  ackPicture(seq: number): boolean {
    let row: { bytes: number } | undefined;
    try {
      row = this.open().prepare('DELETE FROM pictures WHERE seq = ? RETURNING bytes').get(seq) as { bytes: number } | undefined;
    } catch (e) {
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `ack of picture ${seq}: ${(e as Error).message}`, { cause: e });
    }
    if (!row) return false;
    this.pics = { count: this.pics.count - 1, bytes: this.pics.bytes - row.bytes };
    if (this.picturesFull && this.pics.bytes < this.config.lowWatermark * this.config.maxPictureBytes) {
      this.picturesFull = false;
      this.log.warn({ bytes: this.pics.bytes, depth: this.pics.count }, 'evidence picture queue no longer full');
    }
    this.refreshGauges();
    return true;
  }

  pictureDepth(): number {
    return this.pics.count;
  }

  pictureBytes(): number {
    return this.pics.bytes;
  }

  /** Age of the oldest waiting picture in ms (0 when none). */
  oldestPictureAgeMs(): number {
    if (this.pics.count === 0) return 0;
    const r = this.open().prepare('SELECT MIN(created_at) AS t FROM pictures').get() as { t: number | null };
    return r.t === null ? 0 : Math.max(0, this.now() - r.t);
  }

  /** Called after each append that queued pictures (the uploader wakes up). Returns an unsubscribe. */
  onPicture(listener: () => void): () => void {
    this.pictureListeners.add(listener);
    return () => this.pictureListeners.delete(listener);
  }

  private notePictureDrops(drops: Partial<Record<PictureDropReason, number>>): void {
    let any = false;
    for (const [reason, n] of Object.entries(drops)) {
      this.m.picDropped.inc({ reason }, n);
      any = true;
    }
    if (!any) return;
    if (drops.full_update || drops.full_oldest) {
      if (!this.picturesFull) {
        this.picturesFull = true;
        this.log.error(
          { maxPictureBytes: this.config.maxPictureBytes, bytes: this.pics.bytes, depth: this.pics.count, dropped: drops },
          'EVIDENCE QUEUE FULL: dropping the oldest update pictures first, then the oldest of any phase, until the object store takes them',
        );
      }
    } else {
      this.log.error({ dropped: drops, maxAgeSeconds: this.config.maxAgeSeconds }, 'evidence pictures dropped (expired or larger than the whole queue)');
    }
  }

  /** Oldest records first, at most `limit`. */
  peek(limit: number): StoredRecord[] {
    const rows = this.open().prepare(`SELECT ${COLS} FROM outbox ORDER BY seq LIMIT ?`).all(Math.max(0, limit)) as Row[];
    return rows.map(toStored);
  }

  /** Remove records Kafka acknowledged (unknown seqs are ignored). Returns how many were removed. */
  ack(seqs: readonly number[]): number {
    const db = this.open();
    if (seqs.length === 0) return 0;
    const del = db.prepare('DELETE FROM outbox WHERE seq = ? RETURNING bytes');
    const tx = db.transaction(() => {
      let n = 0;
      let bytes = 0;
      for (const s of seqs) {
        const row = del.get(s) as { bytes: number } | undefined;
        if (row) {
          n++;
          bytes += row.bytes;
        }
      }
      return { n, bytes };
    });
    let res: { n: number; bytes: number };
    try {
      res = tx();
    } catch (e) {
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `ack of ${seqs.length} records: ${(e as Error).message}`, { cause: e });
    }
    this.count -= res.n;
    this.total -= res.bytes;
    if (this.expiring) {
      this.expiring = false;
      this.log.info('Kafka acknowledges again: records no longer expire');
    }
    if (this.full && this.total < this.config.lowWatermark * this.config.maxBytes) this.setFull(false);
    this.refreshGauges();
    return res.n;
  }

  /** Move a record that can never be published (invalid for its contract) to the `rejected` table. */
  reject(seq: number, code: string, reason: string): boolean {
    const db = this.open();
    const tx = db.transaction(() => {
      const row = db.prepare(`SELECT ${COLS}, bytes FROM outbox WHERE seq = ?`).get(seq) as (Row & { bytes: number }) | undefined;
      if (!row) return undefined;
      db.prepare(
        'INSERT OR REPLACE INTO rejected (seq, topic, key, value, event_id, created_at, phase, rejected_at, code, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(row.seq, row.topic, row.key, row.value, row.event_id, row.created_at, row.phase, this.now(), code, reason.slice(0, 2000));
      db.prepare('DELETE FROM outbox WHERE seq = ?').run(seq);
      db.prepare('DELETE FROM rejected WHERE seq NOT IN (SELECT seq FROM rejected ORDER BY seq DESC LIMIT ?)').run(this.config.maxRejected);
      return row;
    });
    let row: (Row & { bytes: number }) | undefined;
    try {
      row = tx();
    } catch (e) {
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `reject of seq ${seq}: ${(e as Error).message}`, { cause: e });
    }
    if (!row) return false;
    this.count--;
    this.total -= row.bytes;
    this.m.rejected.inc({ topic: row.topic, code });
    this.log.error({ seq, eventId: row.event_id, topic: row.topic, code, reason }, 'outbox record rejected: it can never be published');
    this.refreshGauges();
    return true;
  }

  /** Newest rejected records first. */
  rejected(limit = 100): RejectedRecord[] {
    const rows = this.open()
      .prepare(`SELECT ${COLS}, rejected_at, code, reason FROM rejected ORDER BY seq DESC LIMIT ?`)
      .all(limit) as Array<Row & { rejected_at: number; code: string; reason: string }>;
    return rows.map((r) => ({ ...toStored(r), rejectedAt: r.rejected_at, code: r.code, reason: r.reason }));
  }

  /** Drop records older than maxAgeSeconds now (also done by every append). Returns how many. */
  prune(): number {
    const db = this.open();
    let res: { n: number; bytes: number };
    let pic: { n: number; bytes: number };
    try {
      pic = db.transaction(() => expirePictures(db, this.now() - this.config.maxAgeSeconds * 1000))();
      res = db.transaction(() => this.expireIn(db, this.now()))();
    } catch (e) {
      throw new OutboxError('SW_EDGE_OUTBOX_UNAVAILABLE', `prune: ${(e as Error).message}`, { cause: e });
    }
    if (pic.n) {
      this.pics = { count: this.pics.count - pic.n, bytes: this.pics.bytes - pic.bytes };
      this.notePictureDrops({ expired: pic.n });
    }
    if (res.n) {
      this.count -= res.n;
      this.total -= res.bytes;
      this.m.dropped.inc({ reason: 'expired' }, res.n);
      this.noteExpired(res.n);
    }
    this.refreshGauges();
    return res.n;
  }

  depth(): number {
    return this.count;
  }

  bytes(): number {
    return this.total;
  }

  /** Age of the oldest waiting record in ms (0 when empty). */
  oldestAgeMs(): number {
    if (this.count === 0) return 0;
    const r = this.open().prepare('SELECT MIN(created_at) AS t FROM outbox').get() as { t: number | null };
    return r.t === null ? 0 : Math.max(0, this.now() - r.t);
  }

  /** Whether the byte bound is being enforced (dropping by policy) right now. */
  isFull(): boolean {
    return this.full;
  }

  /** Called after each append that stored records (the publisher wakes up). Returns an unsubscribe. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Update the depth/bytes/age gauges (the publisher calls this on every tick). */
  refreshGauges(): void {
    if (!this.db) return;
    this.m.depth.set(this.count);
    this.m.bytes.set(this.total);
    this.m.age.set(this.oldestAgeMs() / 1000);
    this.m.full.set(this.full ? 1 : 0);
    this.m.picDepth.set(this.pics.count);
    this.m.picBytes.set(this.pics.bytes);
    this.m.picAge.set(this.oldestPictureAgeMs() / 1000);
  }

  /** Close the database (what is queued stays on disk). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    const db = this.db;
    this.db = undefined;
    if (db?.open) db.close();
  }

  private open(): Database.Database {
    if (!this.db) throw new OutboxError('SW_EDGE_OUTBOX_CLOSED', this.closed ? 'used after close()' : 'used before start()');
    return this.db;
  }

  private expireIn(db: Database.Database, now: number): { n: number; bytes: number } {
    const cutoff = now - this.config.maxAgeSeconds * 1000;
    const r = db.prepare('DELETE FROM outbox WHERE created_at < ? RETURNING bytes').all(cutoff) as Array<{ bytes: number }>;
    let bytes = 0;
    for (const x of r) bytes += x.bytes;
    return { n: r.length, bytes };
  }

  private noteExpired(n: number): void {
    if (this.expiring) return;
    this.expiring = true;
    this.log.error(
      { dropped: n, maxAgeSeconds: this.config.maxAgeSeconds, reason: 'expired' },
      'outbox records older than maxAgeSeconds are being dropped: Kafka has been unreachable too long',
    );
  }

  private setFull(full: boolean, drops?: Partial<Record<DropReason, number>>): void {
    if (full === this.full) return;
    this.full = full;
    this.m.full.set(full ? 1 : 0);
    if (full) {
      this.log.error(
        { maxBytes: this.config.maxBytes, bytes: this.total, depth: this.count, dropped: drops },
        'OUTBOX FULL: dropping oldest update messages first, then oldest of any kind, until Kafka drains it',
      );
    } else {
      this.log.warn({ bytes: this.total, depth: this.count }, 'outbox no longer full');
    }
  }
}
