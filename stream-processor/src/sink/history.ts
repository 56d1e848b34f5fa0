import type { Logger, Pool, Registry, StorageMode } from '@streetwatch/platform';
import { counter, histogram } from '@streetwatch/platform';
import type { Alert, CameraHealth, DetectionEvent, FlowCount, ShopScoreChange } from '@streetwatch/schemas';
import type { Settings } from '../config/load.js';

import { ProcessorError } from '../errors.js';
import type { Clock } from '../time/clock.js';
import { utcDays, type SinkRows } from './rows.js';
import { alertInsert, detectionInsert, detectionRows, flowInsert, healthInsert, scoreChangeInsert, type Statement } from './statements.js';

export interface HistorySinkDeps {
  readonly pool: Pool;
  readonly mode: StorageMode;
  readonly registry: Registry;
  readonly log: Logger;
  readonly clock: Clock;
}

type Table = 'detection_events' | 'camera_health' | 'alerts' | 'shop_score_changes' | 'flow_counts_minute';
const PARTITIONED: readonly Table[] = ['detection_events', 'camera_health', 'alerts', 'flow_counts_minute'];

interface Buffers {
  /** Detection messages as their JSON texts, a batch per chunk. */
  detection_events: SinkRows[];
  camera_health: CameraHealth[];
  alerts: Alert[];
  shop_score_changes: ShopScoreChange[];
  /** Flow counts (minutes of count lines) from the gateways. */
  flow_counts_minute: FlowCount[];
}
const emptyBuffers = (): Buffers => ({ detection_events: [], camera_health: [], alerts: [], shop_score_changes: [], flow_counts_minute: [] });

/**
 * The history sink: violations (every detection message), camera health, alerts, shop colour
 * changes and flow counts (minutes, rolled up per hour) into PostgreSQL, batched. Rows are buffered and written by one writer at a time; a
 * checkpoint calls `flush()` so every row of the offsets it commits is stored first. Inserts are
 * idempotent on ids, so a batch retried after a crash lands once. Plain mode: day partitions are
 * created as days appear and dropped by the retention job; rollups updated in the same statement.
 */
export class HistorySink {
  private buf = emptyBuffers();
  private buffered = 0;
  private detectionRows = 0;
  private chain: Promise<void> = Promise.resolve();
  private timer: { cancel(): void } | undefined;
  private retentionTimer: { cancel(): void } | undefined;
  private readonly partitions = new Set<string>();
  private readonly latency;
  private readonly rows;
  private closed = false;

  constructor(
    private readonly settings: Settings['sink'],
    private readonly deps: HistorySinkDeps,
  ) {
    this.latency = histogram(deps.registry, 'streetwatch_processor_sink_seconds', 'Time to write one batch of history rows', ['table']);
    this.rows = counter(deps.registry, 'streetwatch_processor_sink_rows_total', 'History rows handed to PostgreSQL', ['table']);
  }

  start(): void {
    if (!this.settings.enabled || this.timer) return;
    this.timer = this.deps.clock.every(this.settings.flushIntervalMs, () => {
      if (this.buffered > 0) this.flush().catch((err: unknown) => this.deps.log.error({ err }, 'history flush failed; will retry'));
    });
    if (this.deps.mode === 'plain') {
      this.retentionTimer = this.deps.clock.every(3_600_000, () => {
        this.applyRetention().catch((err: unknown) => this.deps.log.error({ err }, 'history retention failed'));
      });
    }
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Detection messages as they were on the topic (already validated), from the engine. */
  async addRows(rows: SinkRows): Promise<void> {
    if (!this.settings.enabled || rows.count === 0) return;
    this.buf.detection_events.push(rows);
    this.detectionRows += rows.count;
    await this.added(rows.count);
  }

  /** Buffer rows; resolves at once unless the buffer is full, then after a flush (back-pressure). */
  async add(rows: {
    detections?: readonly DetectionEvent[];
    health?: readonly CameraHealth[];
    alerts?: readonly Alert[];
    scoreChanges?: readonly ShopScoreChange[];
    flows?: readonly FlowCount[];
  }): Promise<void> {
    if (!this.settings.enabled) return;
    if (rows.detections && rows.detections.length > 0) {
      this.buf.detection_events.push(detectionRows(rows.detections));
      this.detectionRows += rows.detections.length;
    }
    if (rows.health) for (const r of rows.health) this.buf.camera_health.push(r);
    if (rows.alerts) for (const r of rows.alerts) this.buf.alerts.push(r);
    if (rows.scoreChanges) for (const r of rows.scoreChanges) this.buf.shop_score_changes.push(r);
    if (rows.flows) for (const r of rows.flows) this.buf.flow_counts_minute.push(r);
    await this.added(
      (rows.detections?.length ?? 0) + (rows.health?.length ?? 0) + (rows.alerts?.length ?? 0) + (rows.scoreChanges?.length ?? 0) + (rows.flows?.length ?? 0),
    );
  }

  private async added(n: number): Promise<void> {
    this.buffered += n;
    if (this.buffered >= this.settings.maxBuffered) await this.flush();
    else if (this.detectionRows >= this.settings.batchSize) void this.flush().catch(() => undefined);
  }

  /** Write everything buffered so far; rejects (rows kept for the next try) if PostgreSQL fails. */
  flush(): Promise<void> {
    if (!this.settings.enabled) return Promise.resolve();
    const run = this.chain.catch(() => undefined).then(() => this.writeAll());
    this.chain = run;
    return run;
  }

  /** Write rows directly (tests: a retried batch). */
  async write(rows: { detection_events?: readonly DetectionEvent[] } & Partial<Omit<Buffers, 'detection_events'>>): Promise<void> {
    const { detection_events: d, ...rest } = rows;
    const b = { ...emptyBuffers(), ...rest, detection_events: d && d.length > 0 ? [detectionRows(d)] : [] };
    await this.writeBuffers(b);
  }

  /**
   * `sink.retention`, both modes. Plain: drop the day partitions older than each table's age (at
   * start, then hourly); returns how many. TimescaleDB: make each hypertable's retention policy
   * (a TimescaleDB job that drops old chunks) the configured age, replacing one that differs;
   * returns how many policies it set.
   */
  async applyRetention(): Promise<number> {
    if (!this.settings.enabled) return 0;
    const r = this.settings.retentionMs;
    const ages = [['detection_events', r.detections], ['camera_health', r.cameraHealth], ['alerts', r.alerts], ['flow_counts_minute', r.flowMinutes]] as const;
    if (this.deps.mode === 'timescaledb') return this.retentionPolicies(ages);
    const now = this.deps.clock.now();
    let dropped = 0;
    for (const [table, keep] of ages) {
      const res = await this.deps.pool.query<{ n: number }>('SELECT sw_drop_partitions_before($1, $2) AS n', [table, new Date(now - keep)]);
      dropped += res.rows[0]?.n ?? 0;
    }
    if (dropped > 0) {
      this.partitions.clear();
      this.deps.log.info({ dropped }, 'history retention dropped day partitions');
    }
    return dropped;
  }

  private async retentionPolicies(ages: ReadonlyArray<readonly [Table, number]>): Promise<number> {
    let set = 0;
    for (const [table, keep] of ages) {
      const age = `${keep} milliseconds`;
      const cur = await this.deps.pool.query<{ same: boolean }>(
        `SELECT (config->>'drop_after')::interval = $2::interval AS same FROM timescaledb_information.jobs
          WHERE proc_name = 'policy_retention' AND hypertable_schema = current_schema() AND hypertable_name = $1`,
        [table, age],
      );
      if (cur.rows.length === 1 && cur.rows[0]?.same) continue;
      await this.deps.pool.query('SELECT remove_retention_policy($1::regclass, if_exists => true)', [table]);
      await this.deps.pool.query('SELECT add_retention_policy($1::regclass, drop_after => justify_hours($2::interval), if_not_exists => true)', [table, age]);
      set++;
    }
    if (set > 0) this.deps.log.info({ set, retentionMs: this.settings.retentionMs }, 'history retention policies set');
    return set;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.retentionTimer?.cancel();
    await this.flush();
  }

  private async writeAll(): Promise<void> {
    if (this.buffered === 0) return;
    const b = this.buf;
    const n = this.buffered;
    const d = this.detectionRows;
    this.buf = emptyBuffers();
    this.buffered = 0;
    this.detectionRows = 0;
    try {
      await this.writeBuffers(b);
    } catch (e) {
      // Keep the rows (ahead of newer ones) for the next flush.
      for (const k of Object.keys(b) as Table[]) (this.buf[k] as unknown[]).unshift(...(b[k] as unknown[]));
      this.buffered += n;
      this.detectionRows += d;
      throw e;
    }
  }

  private async writeBuffers(b: Buffers): Promise<void> {
    const plain = this.deps.mode === 'plain';
    if (plain) {
      await this.ensurePartitions('detection_events', b.detection_events.flatMap((r) => r.days));
      await this.ensurePartitions('camera_health', b.camera_health.filter((r) => r.heartbeat !== true).map((r) => r.eventTime)); // heartbeats: camera_status only
      await this.ensurePartitions('alerts', b.alerts.map((r) => r.eventTime));
      await this.ensurePartitions('flow_counts_minute', b.flow_counts_minute.map((r) => r.minute));
    }
    const size = this.settings.batchSize;
    // Chunks (one per consumed batch) grouped into statements of about `batchSize` rows.
    for (let i = 0; i < b.detection_events.length; ) {
      const group: SinkRows[] = [];
      let rows = 0;
      while (i < b.detection_events.length && (rows === 0 || rows + (b.detection_events[i] as SinkRows).count <= size)) {
        const c = b.detection_events[i++] as SinkRows;
        group.push(c);
        rows += c.count;
      }
      await this.run('detection_events', detectionInsert(group, plain), rows);
    }
    if (b.camera_health.length > 0) await this.run('camera_health', healthInsert(b.camera_health), b.camera_health.length);
    if (b.alerts.length > 0) await this.run('alerts', alertInsert(b.alerts, plain), b.alerts.length);
    if (b.shop_score_changes.length > 0) await this.run('shop_score_changes', scoreChangeInsert(b.shop_score_changes), b.shop_score_changes.length);
    for (let i = 0; i < b.flow_counts_minute.length; i += size) {
      const chunk = b.flow_counts_minute.slice(i, i + size);
      await this.run('flow_counts_minute', flowInsert(chunk), chunk.length);
    }
  }

  private async run(table: Table, st: Statement, n: number): Promise<void> {
    const end = this.latency.startTimer({ table });
    try {
      await this.deps.pool.query(st.text, st.values);
    } catch (cause) {
      throw new ProcessorError('SW_PROC_SINK_FAILED', `writing ${n} row(s) to ${table}: ${(cause as Error).message}`, { cause, retryable: true });
    } finally {
      end();
    }
    this.rows.inc({ table }, n);
  }

  private async ensurePartitions(table: Table, times: string[]): Promise<void> {
    if (!PARTITIONED.includes(table) || times.length === 0) return;
    for (const day of utcDays(times)) {
      const k = `${table}:${day}`;
      if (this.partitions.has(k)) continue;
      await this.deps.pool.query('SELECT sw_ensure_day_partition($1, $2::date)', [table, day]);
      this.partitions.add(k);
    }
  }
}
