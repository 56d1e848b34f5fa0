/** Builds a delivery pipeline on a fresh real database for one test, with teardown. */
import { createLogger, createRegistry, parseConfig, type Logger } from '@streetwatch/platform';
import { testDatabase, type TestKafka } from '@streetwatch/platform/testing';
import type { Alert } from '@streetwatch/schemas';
import type { Channel, Notification, SendResult } from '../../src/channels/types.js';
import { RouterConfig } from '../../src/config/schema.js';
import { secretResolver } from '../../src/config/secrets.js';
import { DeliveryPipeline, migrateRouter } from '../../src/pipeline.js';
import { ManualClock, type Clock } from '@streetwatch/platform';
import type { WorkOrderRef, WorkOrderService } from '../../src/seams.js';

export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

/** A channel that records what it was asked to send (routing tests need no provider). */
export class RecordingChannel implements Channel {
  readonly sent: Array<{ msg: Notification; key: string }> = [];
  constructor(
    readonly name: string,
    readonly type = 'webhook',
  ) {}
  async send(msg: Notification, key: string): Promise<SendResult> {
    this.sent.push({ msg, key });
    return { providerMessageId: `rec-${this.sent.length}` };
  }
  alertIds(): string[][] {
    return this.sent.map((s) => s.msg.items.map((i) => i.alert.alertId));
  }
}

/** Minimal work-order side for delivery tests: idempotent on (alertId, departmentId). */
export class MemoryWorkOrders implements WorkOrderService {
  readonly orders = new Map<string, WorkOrderRef>();
  async dispatch(alert: Alert, departmentId: string): Promise<WorkOrderRef> {
    const k = `${alert.alertId}|${departmentId}`;
    const prev = this.orders.get(k);
    if (prev) return { ...prev, created: false };
    const ref: WorkOrderRef = { workOrderId: `wo-${this.orders.size + 1}`, departmentId, alertId: alert.alertId, status: 'dispatched', created: true };
    this.orders.set(k, ref);
    return ref;
  }
  async dispatchMany(items: ReadonlyArray<{ alert: Alert; departmentId: string }>): Promise<WorkOrderRef[]> {
    const out: WorkOrderRef[] = [];
    for (const i of items) out.push(await this.dispatch(i.alert, i.departmentId));
    return out;
  }
  async attachClearance(): Promise<number> {
    return 0;
  }
}

export interface Harness {
  readonly pipeline: DeliveryPipeline;
  readonly clock: ManualClock;
  readonly pool: import('@streetwatch/platform').Pool;
  readonly log: Logger;
  readonly workOrders: MemoryWorkOrders;
  readonly logLines: string[];
}

export async function harness(
  t: TeardownHost,
  raw: Record<string, unknown>,
  opts: {
    channels?: ReadonlyMap<string, Channel>;
    env?: Record<string, string>;
    kafka?: TestKafka;
    clock?: Clock;
    start?: boolean;
    random?: () => number;
    /** Runs on the fresh database before the router's migrations (rows an older version left behind). */
    beforeMigrate?: (pool: import('@streetwatch/platform').Pool) => Promise<void>;
  } = {},
): Promise<Harness> {
  const db = await testDatabase(t);
  await opts.beforeMigrate?.(db.pool);
  await migrateRouter(db.pool);
  const cfg = parseConfig(RouterConfig, raw, 'test-config');
  const logLines: string[] = [];
  const log = createLogger({
    name: 'router-test',
    level: 'debug',
    redact: ['accessKeySecret', 'secretKey', 'signSecret', 'accessToken', '*.accessKeySecret', '*.secretKey', '*.signSecret', '*.accessToken'],
    destination: { write: (s: string) => void logLines.push(s) },
  });
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock(Date.now());
  const workOrders = new MemoryWorkOrders();
  const pipeline = new DeliveryPipeline(cfg as RouterConfig, {
    pool: db.pool,
    log,
    registry: opts.kafka?.registry ?? createRegistry('router-test'),
    resolveSecret: secretResolver(opts.env ?? {}),
    clock,
    workOrders,
    random: opts.random ?? (() => 0.5),
    ...(opts.channels ? { channels: opts.channels } : {}),
    ...(opts.kafka ? { kafka: opts.kafka.kafka, producer: opts.kafka.producer, prefix: opts.kafka.prefix } : {}),
  });
  t.teardown(() => pipeline.close());
  if (opts.start ?? true) await pipeline.start({ poll: false });
  return { pipeline, clock, pool: db.pool, log, workOrders, logLines };
}

/** Count rows of router_deliveries by state. */
export async function states(pool: import('@streetwatch/platform').Pool): Promise<Record<string, number>> {
  const r = await pool.query<{ state: string; n: string }>('SELECT state, count(*)::text AS n FROM router_deliveries GROUP BY state');
  return Object.fromEntries(r.rows.map((x) => [x.state, Number(x.n)]));
}
