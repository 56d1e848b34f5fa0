/** Public record types of the outbox. */
export type OutboxTopic = 'detections' | 'cameraHealth' | 'flowCounts';
export const OUTBOX_TOPICS: readonly OutboxTopic[] = ['detections', 'cameraHealth', 'flowCounts'];

export type OutboxPhase = 'start' | 'update' | 'end';

export interface OutboxRecord {
  /** Key of the topic in the schemas' TOPICS catalogue. */
  readonly topic: OutboxTopic;
  /** Kafka message key (cameraId). */
  readonly key: string;
  /** The message as JSON, already validated against the topic's contract by the caller. */
  readonly value: string;
  readonly eventId: string;
  /** ms since epoch; default now. */
  readonly createdAt?: number;
  /** Detection lifecycle phase ('update' is dropped first when full); read from `value` when omitted. */
  readonly phase?: OutboxPhase;
  /** A re-statement (a camera heartbeat): dropped first when full, with the updates (reason full_update). */
  readonly droppable?: boolean;
}

export interface StoredRecord {
  readonly seq: number;
  readonly topic: OutboxTopic;
  readonly key: string;
  readonly value: string;
  readonly eventId: string;
  readonly createdAt: number;
  readonly phase: OutboxPhase | null;
}

export interface RejectedRecord extends StoredRecord {
  readonly rejectedAt: number;
  readonly code: string;
  readonly reason: string;
}

export interface AppendResult {
  /** seq of each appended record, in order (records refused as oversize are absent). */
  readonly seqs: number[];
  /** Records dropped by this append (expired, evicted or oversize), any record. */
  readonly dropped: number;
}
