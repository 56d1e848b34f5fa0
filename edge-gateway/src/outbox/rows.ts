/** SQLite layout of the outbox and the mapping between rows and records. */
import type { OutboxPhase, OutboxRecord, OutboxTopic, StoredRecord } from './types.js';

export type DropReason = 'expired' | 'full_update' | 'full_oldest' | 'oversize';

export interface Row {
  seq: number;
  topic: OutboxTopic;
  key: string;
  value: string;
  event_id: string;
  created_at: number;
  phase: OutboxPhase | null;
}

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  phase TEXT,
  droppable INTEGER NOT NULL,
  bytes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_droppable ON outbox(seq) WHERE droppable = 1;
CREATE INDEX IF NOT EXISTS outbox_created ON outbox(created_at);
CREATE TABLE IF NOT EXISTS rejected (
  seq INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  event_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  phase TEXT,
  rejected_at INTEGER NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL
);
`;

export const COLS = 'seq, topic, key, value, event_id, created_at, phase';
export const toStored = (r: Row): StoredRecord => ({
  seq: r.seq,
  topic: r.topic,
  key: r.key,
  value: r.value,
  eventId: r.event_id,
  createdAt: r.created_at,
  phase: r.phase,
});

export function phaseOf(r: OutboxRecord): OutboxPhase | null {
  if (r.phase) return r.phase;
  if (r.topic !== 'detections') return null;
  try {
    const p = (JSON.parse(r.value) as { phase?: unknown }).phase;
    return p === 'start' || p === 'update' || p === 'end' ? p : null;
  } catch {
    return null; // the publisher rejects it with the reason
  }
}

export const sizeOf = (r: OutboxRecord): number => Buffer.byteLength(r.key) + Buffer.byteLength(r.value) + Buffer.byteLength(r.eventId);
