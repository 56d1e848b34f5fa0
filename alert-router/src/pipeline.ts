/**
 * Assembles the delivery half (the top of the flow, beside main.ts: it wires ingest, routing,
 * delivery and channels together): silences, inhibition, routing tree + groups, channels, the durable
 * queue and its engine, the Delivery event outbox, the escalation Notifier, and (with Kafka) the
 * alert consumer. main.ts, tests and the bench build it the same way.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrate, systemClock, type Clock, type ContractProducer, type Logger, type Pool, type Registry } from '@streetwatch/platform';
import type { Kafka } from 'kafkajs';
import { createChannels } from './channels/registry.js';
import type { Channel, ChannelEvidenceLinks } from './channels/types.js';
import { AlertConsumer } from './consumer/alerts-consumer.js';
import { ms } from './config/durations.js';
import { checkReferences } from './config/references.js';
import type { RouterConfig } from './config/schema.js';
import type { SecretResolver } from './config/secrets.js';
import { Inhibitor } from './routing/inhibition.js';
import { AlertRouter } from './routing/router.js';
import { SilenceStore } from './routing/silences.js';
import type { ConsoleFeed, WorkOrderService } from './seams.js';
import { DeliveryEngine } from './delivery/engine.js';
import { DeliveryEventOutbox } from './delivery/events.js';
import { routerMetrics, zeroRouterMetrics, type RouterMetrics } from './delivery/metrics.js';
import { workOrderMetrics, zeroWorkOrderMetrics } from './workorders/metrics.js';
import { DeliveryNotifier } from './delivery/notifier.js';
import { DeliveryStore } from './delivery/store.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/** Apply the router's migrations (both halves: 1xx delivery, 2xx work orders) once. */
export async function migrateRouter(pool: Pool): Promise<void> {
  await migrate(pool, MIGRATIONS_DIR, { component: 'alert-router' });
}

export interface PipelineDeps {
  readonly pool: Pool;
  readonly log: Logger;
  readonly registry: Registry;
  readonly resolveSecret: SecretResolver;
  readonly clock?: Clock;
  /** With Kafka: the alert consumer, the kafka-dept channel and Delivery events. */
  readonly kafka?: Kafka;
  readonly producer?: ContractProducer;
  /** Delivery events' producer (default: `producer`); its own keeps them from queueing department notices. */
  readonly eventsProducer?: ContractProducer;
  readonly prefix?: string;
  readonly consoleFeed?: ConsoleFeed;
  /** Evidence links for SMS and robot messages (absent: they go without a picture). */
  readonly evidenceLinks?: ChannelEvidenceLinks;
  readonly workOrders?: WorkOrderService;
  readonly random?: () => number;
  /** Replace channel implementations (tests). */
  readonly channels?: ReadonlyMap<string, Channel>;
}

export class DeliveryPipeline {
  readonly clock: Clock;
  readonly metrics: RouterMetrics;
  readonly store: DeliveryStore;
  readonly silences: SilenceStore;
  readonly inhibitor: Inhibitor;
  readonly router: AlertRouter;
  readonly engine: DeliveryEngine;
  readonly outbox: DeliveryEventOutbox;
  readonly notifier: DeliveryNotifier;
  readonly channels: ReadonlyMap<string, Channel>;
  private consumer: AlertConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private ticks = 0;

  constructor(
    private readonly cfg: RouterConfig,
    private readonly deps: PipelineDeps,
  ) {
    checkReferences(cfg);
    this.clock = deps.clock ?? systemClock;
    this.metrics = routerMetrics(deps.registry);
    zeroRouterMetrics(this.metrics, cfg.channels, Object.keys(cfg.departments));
    zeroWorkOrderMetrics(workOrderMetrics(deps.registry), Object.keys(cfg.departments));
    this.store = new DeliveryStore(deps.pool);
    this.silences = new SilenceStore(deps.pool, this.clock);
    this.inhibitor = new Inhibitor(cfg.inhibitRules, ms(cfg.delivery.resolveTimeout));
    const withTimeouts = Object.fromEntries(
      Object.entries(cfg.channels).map(([n, c]) => [n, { ...c, timeout: c.timeout ?? cfg.delivery.timeout }]),
    ) as RouterConfig['channels'];
    this.channels =
      deps.channels ??
      createChannels(withTimeouts, {
        log: deps.log,
        clock: this.clock,
        resolveSecret: deps.resolveSecret,
        ...(deps.producer ? { producer: deps.producer } : {}),
        ...(deps.consoleFeed ? { consoleFeed: deps.consoleFeed } : {}),
        ...(deps.evidenceLinks ? { evidenceLinks: deps.evidenceLinks } : {}),
      });
    this.outbox = new DeliveryEventOutbox({ pool: deps.pool, producer: deps.eventsProducer ?? deps.producer, log: deps.log, metrics: this.metrics });
    this.engine = new DeliveryEngine(
      { channels: withTimeouts, delivery: cfg.delivery },
      {
        store: this.store,
        channels: this.channels,
        clock: this.clock,
        log: deps.log.child({ component: 'delivery' }),
        metrics: this.metrics,
        outbox: this.outbox,
        ...(deps.random ? { random: deps.random } : {}),
      },
    );
    // New attempt rows for the outbox; with `pending` (the default) intents the engine has to claim.
    const onIntents = (what: { pending: boolean } = { pending: true }): void => {
      if (what.pending) this.engine.kick();
      this.outbox.nudge();
    };
    this.router = new AlertRouter(cfg, {
      pool: deps.pool,
      clock: this.clock,
      log: deps.log.child({ component: 'routing' }),
      metrics: this.metrics,
      silences: this.silences,
      inhibitor: this.inhibitor,
      deliveries: this.store,
      onIntents,
      handoff: this.engine,
      workOrders: deps.workOrders,
    });
    this.notifier = new DeliveryNotifier(cfg, { pool: deps.pool, store: this.store, clock: this.clock, onIntents });
  }

  /** Load state, recover, start polling; with `consume`, start the Kafka consumer last. */
  async start(opts: { consume?: boolean; poll?: boolean } = {}): Promise<void> {
    await this.silences.refresh();
    await this.inhibitor.load(this.deps.pool, this.clock.now());
    if (opts.poll ?? true) {
      await this.engine.start();
      this.timer = setInterval(() => {
        this.router.kick();
        if (++this.ticks % 40 === 0) void this.silences.refresh().catch(() => undefined);
      }, ms(this.cfg.delivery.poll));
      this.timer.unref();
    }
    this.router.kick();
    void this.outbox.kick();
    // The start-up flush and pump read the clock now: let them finish before anything is ingested.
    await this.router.idle();
    await this.engine.idle();
    if (opts.consume) {
      if (!this.deps.kafka || !this.deps.producer) throw new Error('consuming needs kafka and producer deps');
      this.consumer = new AlertConsumer(
        { groupId: this.cfg.consumer.groupId, ...(this.deps.prefix !== undefined ? { prefix: this.deps.prefix } : {}) },
        { kafka: this.deps.kafka, producer: this.deps.producer, registry: this.deps.registry, log: this.deps.log, router: this.router },
      );
      await this.consumer.start();
    }
  }

  /** Tests with a manual clock: flush due groups, deliver everything due, publish events. */
  async tick(): Promise<void> {
    await this.router.idle();
    await this.router.flushDue();
    await this.engine.drain();
    await this.outbox.kick();
  }

  /** Stop intake first, then finish what is in flight, then the outbox. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer?.close();
    if (this.timer) clearInterval(this.timer);
    await this.router.idle();
    await this.engine.close();
    await this.outbox.close();
  }
}
