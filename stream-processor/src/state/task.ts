import type { Logger } from '@streetwatch/platform';
import type { InputRole } from '../consumer/topics.js';
import type { EngineHandle } from '../engine/host.js';
import { Serial } from './serial.js';
import type { TaskOffsets } from './store.js';

/**
 * One task an instance owns: partition number `id` of every input topic, its engine (keyed
 * state), the next offset per input it has processed, and the fencing epoch it acquired it with.
 * Everything that touches the task runs through `serial`.
 */
export class Task {
  readonly serial = new Serial();
  /** Dropped (revoked, fenced or failed): nothing may use or save it any more. */
  evicted = false;
  /** State or offsets changed since the last snapshot. */
  dirty = false;
  lastCheckpoint: number;
  /** Inputs whose last batch was behind the partition end: not idle, whatever the wall clock says. */
  readonly behind = new Set<InputRole>();
  /** Rule output sent to Kafka and not yet acknowledged: a checkpoint waits for all of it. */
  pending: Array<Promise<void>> = [];
  /** A rebalance ended since the last punctuation: every input counts as not quiet at the next one. */
  rejoined = false;
  /** Batches queued on `serial` and not yet done, oldest first (back-pressure on fetching). */
  readonly queued: Array<Promise<void>> = [];
  /** The offsets of the last snapshot written (or loaded). */
  readonly saved: TaskOffsets;
  /** Offsets we already seeked back to once (a gap that remains after that is accepted). */
  readonly sought: Partial<Record<InputRole, string>> = {};

  constructor(
    readonly id: number,
    readonly epoch: number,
    readonly engine: EngineHandle,
    readonly offsets: TaskOffsets,
    readonly log: Logger,
    now: number,
    /** Where an input without a snapshot offset starts (undefined: wherever the fetch is). */
    readonly start?: string,
  ) {
    this.lastCheckpoint = now;
    this.saved = { ...offsets };
  }

  /** What a batch starting at `first` on `role` should do, given the offsets this state covers. */
  position(role: InputRole, first: string): { action: 'process'; skipBelow: bigint } | { action: 'seek'; offset: string } {
    const expected = this.offsets[role] ?? this.start;
    if (expected === undefined) return { action: 'process', skipBelow: -1n };
    if (BigInt(first) > BigInt(expected) && this.sought[role] !== expected) {
      this.sought[role] = expected;
      return { action: 'seek', offset: expected };
    }
    return { action: 'process', skipBelow: BigInt(expected) };
  }
}
