/**
 * Violation ends → clearance evidence (核查). Reads `streetwatch.detections.v1` in its own consumer
 * group; for every valid `phase: 'end'` it calls `attachClearance(violationId, eventTime)` on the
 * work-order half, which adds "cleared at HH:MM:SS" to the open work orders of that violation.
 * `start` and `update` are ignored, and so are ends that say nothing about the spot: the gateway
 * shutting down, the camera offline, the rule's schedule ending (`NOT_CLEARING`). Only an object
 * seen leaving (`left`) or gone from the zone for its gap (`lost`) — or an end without a reason,
 * from producers older than the field — is clearance. Invalid messages go to the DLQ (platform
 * ContractConsumer).
 *
 * At-least-once: offsets are committed after the batch's clearances were written, so a crash
 * replays the batch; `attachClearance` skips work orders that already hold the violation, so a
 * replayed end attaches nothing twice.
 *
 * An end consumed before its work order exists (a `count` alert naming a violation that already
 * ended, a department whose group waited longer) is kept in PostgreSQL (`violation_ends`, see
 * workorders/clearance.ts) and attached when the work order is created, also after a restart;
 * kept ends expire by `retention.violationEnds`.
 */
import { ContractConsumer, counter, type ContractProducer, type Logger, type Registry } from '@streetwatch/platform';
import { TOPICS, type DetectionEvent } from '@streetwatch/schemas';
import type { Kafka } from 'kafkajs';
import type { RouterConfig } from '../config/schema.js';
import type { WorkOrderService } from '../seams.js';

/** End reasons that do not show the violation cleared (the camera stopped looking). */
export const NOT_CLEARING: ReadonlySet<NonNullable<DetectionEvent['endReason']>> = new Set(['shutdown', 'camera_offline', 'schedule'] as const);

export interface ClearanceConsumerSettings {
  readonly groupId: string;
  readonly prefix?: string;
}

export interface ClearanceConsumerDeps {
  readonly kafka: Kafka;
  /** Writes dead letters. */
  readonly producer: ContractProducer;
  readonly registry: Registry;
  readonly log: Logger;
  readonly workOrders: Pick<WorkOrderService, 'attachClearance'>;
}

export class ClearanceConsumer {
  private readonly consumer: ContractConsumer;
  private readonly log: Logger;
  private readonly ends;
  private started = false;
  private closed = false;

  constructor(
    settings: ClearanceConsumerSettings,
    private readonly deps: ClearanceConsumerDeps,
  ) {
    this.log = deps.log.child({ component: 'clearance' });
    this.consumer = new ContractConsumer(
      { groupId: settings.groupId, topics: [TOPICS.detections], prefix: settings.prefix ?? '' },
      { kafka: deps.kafka, producer: deps.producer, registry: deps.registry, log: this.log },
    );
    this.ends = counter(
      deps.registry,
      'streetwatch_router_violation_ends_total',
      'Violation ends read from the detections topic: attached to open work orders now, kept (no open order yet, or a replay already attached) for work orders created later, or not_clearing (shutdown, camera offline, schedule: not evidence)',
      ['outcome'],
    );
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    await this.consumer.start(async (messages, ctx) => {
      for (const m of messages) {
        const e = m.value as DetectionEvent;
        if (e.phase !== 'end') continue;
        if (e.endReason && NOT_CLEARING.has(e.endReason)) {
          this.ends.inc({ outcome: 'not_clearing' });
          continue;
        }
        const attached = await this.deps.workOrders.attachClearance(e.violationId, new Date(e.eventTime));
        this.ends.inc({ outcome: attached > 0 ? 'attached' : 'kept' });
        if (attached > 0) {
          this.log.info({ violationId: e.violationId, eventTime: e.eventTime, workOrders: attached }, 'violation end attached as clearance');
        }
        await ctx.heartbeat();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.consumer.close();
  }
}

/** The clearance consumer's settings from the router config; undefined when `clearance.enabled` is false. */
export function clearanceSettings(cfg: Pick<RouterConfig, 'consumer' | 'clearance'>, prefix: string): ClearanceConsumerSettings | undefined {
  if (cfg.clearance?.enabled === false) return undefined;
  return { groupId: cfg.clearance?.groupId ?? `${cfg.consumer.groupId}-clearance`, prefix };
}
