import type { Pool } from '@streetwatch/platform';
import { ProcessorError } from '../errors.js';
import type { EngineSnapshot } from './snapshot.js';

/** Next offset to read, per input role of the task (`detections`, `shop`...), as decimal strings. */
export type TaskOffsets = Partial<Record<string, string>>;

export interface StoredTask {
  readonly epoch: number;
  readonly offsets: TaskOffsets;
  readonly snapshot: EngineSnapshot | undefined;
}

/**
 * Task snapshots in PostgreSQL. `acquire` takes a task over (bumps its epoch: a fencing token)
 * and returns what the previous owner last saved; `save` writes the state and the offsets it
 * covers in one statement, refused when another instance acquired the task since.
 */
export class TaskStore {
  constructor(
    private readonly pool: Pool,
    private readonly groupId: string,
  ) {}

  async acquire(task: number): Promise<StoredTask> {
    const r = await this.pool.query<{ epoch: string; offsets: TaskOffsets; state: string | null }>(
      `INSERT INTO processor_task_state (group_id, task) VALUES ($1, $2)
       ON CONFLICT (group_id, task) DO UPDATE SET epoch = processor_task_state.epoch + 1
       RETURNING epoch, offsets, state`,
      [this.groupId, task],
    );
    const row = r.rows[0];
    if (!row) throw new ProcessorError('SW_PROC_CHECKPOINT_FAILED', `acquiring task ${task} returned no row`, { retryable: true });
    let snapshot: EngineSnapshot | undefined;
    if (row.state) {
      try {
        snapshot = JSON.parse(row.state) as EngineSnapshot;
      } catch (cause) {
        throw new ProcessorError('SW_PROC_STATE_CORRUPT', `task ${task} of ${this.groupId}: snapshot is not JSON`, { cause });
      }
      if (snapshot.v !== 1) throw new ProcessorError('SW_PROC_STATE_CORRUPT', `task ${task}: snapshot version ${String(snapshot.v)} unknown`);
    }
    return { epoch: Number(row.epoch), offsets: row.offsets, snapshot };
  }

  /** Returns the snapshot size in bytes. Throws SW_PROC_STATE_FENCED when the task was taken over. */
  async save(task: number, epoch: number, offsets: TaskOffsets, snapshot: EngineSnapshot): Promise<number> {
    const state = JSON.stringify(snapshot);
    let rowCount: number | null;
    try {
      const r = await this.pool.query(
        `UPDATE processor_task_state SET offsets = $4, state = $5, state_bytes = $6, updated_at = now()
         WHERE group_id = $1 AND task = $2 AND epoch = $3`,
        [this.groupId, task, epoch, JSON.stringify(offsets), state, Buffer.byteLength(state)],
      );
      rowCount = r.rowCount;
    } catch (cause) {
      throw new ProcessorError('SW_PROC_CHECKPOINT_FAILED', `saving task ${task}: ${(cause as Error).message}`, { cause, retryable: true });
    }
    if (rowCount !== 1) {
      throw new ProcessorError('SW_PROC_STATE_FENCED', `task ${task} of ${this.groupId} was taken over (epoch ${epoch} is stale)`);
    }
    return Buffer.byteLength(state);
  }
}
