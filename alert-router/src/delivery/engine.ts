/**
 * The delivery engine: claims due intents per channel (bounded by the channel's concurrency),
 * sends through a per-channel circuit breaker (opossum), and records each outcome: sent; retrying
 * with exponential backoff + jitter (at least the provider's Retry-After); moved to the fallback
 * channel after `fallbackAfter` failures, a permanent error or an open circuit; dead after
 * `maxAttempts`. Outcomes are written in batches; every state change has its Delivery event.
 *
 * Crash window (the `uncertain` case): the intent is committed before the provider call and the
 * outcome after it. If the process dies in between, the row stays `inflight` until its lease
 * (channel timeout + leaseGrace) expires; recovery then marks it uncertain and resends it with the
 * SAME idempotency key (`onUncertain: resend`, default) or holds it for a person (`hold`). Whether
 * a resend can duplicate depends on the provider: our webhook receivers and Kafka consumers can
 * drop repeats by key/noticeId; Aliyun (OutId) and Tencent (SessionContext) echo the key but do
 * not de-duplicate, DingTalk/WeCom have no such field: there a resend may be seen twice.
 */
import CircuitBreaker from 'opossum';
import { backoffDelay, type BackoffPolicy, type Logger } from '@streetwatch/platform';
import { withRef } from '../channels/render.js';
import type { Channel, Notification } from '../channels/types.js';
import { ms } from '../config/durations.js';
import { CHANNEL_DEFAULTS, type ChannelConfig, type RouterConfig } from '../config/schema.js';
import type { Clock } from '@streetwatch/platform';
import { ChannelError } from '../channels/errors.js';
import type { DeliveryEventOutbox } from './events.js';
import type { RouterMetrics } from './metrics.js';
import { deliveryKey, type ClaimedDelivery, type DeliveryStore, type NewDelivery, type OutcomeRecord } from './store.js';

export interface EngineDeps {
  readonly store: DeliveryStore;
  readonly channels: ReadonlyMap<string, Channel>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: RouterMetrics;
  readonly outbox: DeliveryEventOutbox;
  readonly random?: () => number;
}

interface ChannelRuntime {
  readonly name: string;
  readonly cfg: ChannelConfig;
  readonly channel: Channel;
  readonly breaker: CircuitBreaker<[ClaimedDelivery], { providerMessageId?: string }>;
  readonly backoff: BackoffPolicy;
  readonly leaseMs: number;
  readonly resetMs: number;
  active: number;
  /**
   * Due rows may be waiting for room: the last claim filled the room it asked for, or the channel
   * had no room when a pump ran. A finished send pumps again only then (otherwise the freed room
   * waits for the next kick: new intents, fallbacks, or the poll), instead of one claim per send.
   */
  more: boolean;
}

/** Errors that say nothing about the channel's health (do not count toward opening its circuit). */
const NOT_CHANNEL_FAULT = new Set(['SW_ROUTER_QUOTA_EXCEEDED', 'SW_ROUTER_NO_RECIPIENT', 'SW_ROUTER_PROVIDER_REJECTED', 'SW_ROUTER_NOTIFICATION_MISSING']);

/** The row's message. Its notification row is deleted only with its last delivery: a gap is a bug, and the delivery fails without a call. */
function messageOf(row: ClaimedDelivery): Notification {
  if (row.message) return row.message;
  throw new ChannelError('SW_ROUTER_NOTIFICATION_MISSING', `notification ${row.notificationKey} of delivery ${row.key} not found`, { retryable: false });
}

export class DeliveryEngine {
  private readonly rt = new Map<string, ChannelRuntime>();
  private readonly sends = new Set<Promise<void>>();
  private outcomes: OutcomeRecord[] = [];
  private fallbacks: NewDelivery[] = [];
  private flushing: Promise<void> | undefined;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;
  /** Pumps run one at a time (kick and drain): two concurrent claims would both see the same room. */
  private pumpLock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;
  private polls = 0;

  constructor(
    private readonly cfg: Pick<RouterConfig, 'channels' | 'delivery'>,
    private readonly deps: EngineDeps,
  ) {
    const d = cfg.delivery;
    for (const [name, c] of Object.entries(cfg.channels)) {
      const channel = deps.channels.get(name);
      if (!channel) continue;
      const timeoutMs = ms(c.timeout ?? d.timeout);
      const circuit = c.circuit;
      const resetMs = ms(circuit?.reset ?? '30s');
      const breaker = new CircuitBreaker(async (row: ClaimedDelivery) => channel.send(withRef(messageOf(row), row.key), row.key), {
        name,
        timeout: false, // channels bound their own calls
        errorThresholdPercentage: circuit?.errorThresholdPercentage ?? 50,
        volumeThreshold: circuit?.volumeThreshold ?? 5,
        resetTimeout: resetMs,
        rollingCountTimeout: ms(circuit?.rollingWindow ?? '60s'),
        errorFilter: (err: unknown) => NOT_CHANNEL_FAULT.has((err as { code?: string }).code ?? ''),
      });
      const state = (v: number, what: string) => () => {
        deps.metrics.circuit.set({ channel: name }, v);
        deps.log[v === 2 ? 'warn' : 'info']({ channel: name }, `circuit ${what}`);
      };
      breaker.on('open', state(2, 'open'));
      breaker.on('halfOpen', state(1, 'half-open'));
      breaker.on('close', state(0, 'closed'));
      deps.metrics.circuit.set({ channel: name }, 0);
      const b = c.backoff ?? d.backoff;
      const factor = b.factor ?? 2;
      this.rt.set(name, {
        name,
        cfg: c,
        channel,
        breaker,
        backoff: { initialMs: ms(b.initial), maxMs: ms(b.max), factor, jitter: 'equal' },
        leaseMs: timeoutMs + ms(d.leaseGrace),
        resetMs,
        active: 0,
        more: true,
      });
    }
  }

  /** Recover what a previous process left in flight, then poll for due work. */
  async start(): Promise<void> {
    await this.recover();
    this.started = true;
    const every = ms(this.cfg.delivery.poll);
    this.timer = setInterval(() => void this.poll(), every);
    this.timer.unref();
    this.kick();
  }

  /** Something became due (new intents): pump now instead of waiting for the poll. */
  kick(): void {
    if (this.closed) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pumpExclusive()
      .then(() => undefined)
      .catch((err: unknown) => this.deps.log.error({ err }, 'delivery pump failed; will retry on next poll'))
      .finally(() => {
        this.pumping = undefined;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.kick();
        }
      });
  }

  /** Wait for a running pump (start-up: its `now` must not outlive a test's clock change). */
  async idle(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** Run until nothing is due and nothing is in flight (tests with a manual clock; shutdown). */
  async drain(): Promise<void> {
    await this.recover();
    for (let i = 0; i < 1000; i++) {
      const claimed = await this.pumpExclusive();
      await this.settle();
      if (claimed === 0 && this.sends.size === 0 && !this.pumping) return;
    }
  }

  private async poll(): Promise<void> {
    try {
      if (++this.polls % 4 === 0) await this.recover();
      if (this.polls % 20 === 0) {
        const q = await this.deps.store.queueDepth();
        for (const [state, n] of Object.entries(q)) this.deps.metrics.queueDepth.set({ state }, n);
      }
      this.kick();
    } catch (err) {
      this.deps.log.warn({ err }, 'delivery poll failed');
    }
  }

  private async recover(): Promise<void> {
    const hold = [...this.rt.values()].filter((r) => r.cfg.onUncertain === 'hold').map((r) => r.name);
    const n = await this.deps.store.recoverExpired(this.deps.clock.now(), hold);
    if (n > 0) {
      this.deps.log.warn({ count: n }, 'in-flight deliveries of a stopped process marked uncertain');
      this.deps.metrics.deliveries.inc({ channel: '*', type: '*', outcome: 'uncertain' }, n);
      void this.deps.outbox.kick();
    }
  }

  private pumpExclusive(): Promise<number> {
    const run = this.pumpLock.then(() => this.pump());
    this.pumpLock = run.catch(() => undefined);
    return run;
  }

  /**
   * Room for intents the caller inserts already claimed (see AlertRouter's flush): up to `n` sends of
   * `channel`, counted as active from now. Granted only while the channel has no known backlog
   * (older due rows go first, through the claim) and not for `onUncertain: hold` channels (a crash
   * between that commit and the call would hold a notification nobody was ever sent). Every granted
   * unit ends in `dispatch` (after COMMIT) or `release`.
   */
  reserve(channelName: string, n: number): { granted: number; leaseMs: number } {
    const rt = this.rt.get(channelName);
    if (!rt || this.closed || !this.started || rt.more || rt.cfg.onUncertain === 'hold') return { granted: 0, leaseMs: 0 };
    const granted = Math.max(0, Math.min(n, (rt.cfg.concurrency ?? CHANNEL_DEFAULTS.concurrency) - rt.active));
    rt.active += granted;
    if (granted < n) rt.more = true;
    return { granted, leaseMs: rt.leaseMs };
  }

  /** Give back reserved room that will not be dispatched (the insert failed or found the key). */
  release(channelName: string, n: number): void {
    const rt = this.rt.get(channelName);
    if (!rt || n <= 0) return;
    rt.active -= n;
    if (rt.more) this.kick();
  }

  /** Send intents committed already claimed under reserved room (their intent attempt rows exist). */
  dispatch(rows: readonly ClaimedDelivery[]): void {
    for (const row of rows) {
      const rt = this.rt.get(row.channelName);
      if (!rt) continue;
      rt.active--; // startSend counts it again
      this.startSend(rt, row);
    }
  }

  /** Claim what each channel has room for (one statement) and start the sends. Returns how many were claimed. */
  private async pump(): Promise<number> {
    if (this.closed) return 0;
    const asks: Array<{ channelName: string; limit: number; leaseMs: number }> = [];
    for (const rt of this.rt.values()) {
      const limit = (rt.cfg.concurrency ?? CHANNEL_DEFAULTS.concurrency) - rt.active;
      if (limit > 0) asks.push({ channelName: rt.name, limit, leaseMs: rt.leaseMs });
      else rt.more = true;
    }
    if (asks.length === 0) return 0;
    const rows = await this.deps.store.claimMany(asks, this.deps.clock.now());
    const claimed = new Map<string, number>();
    for (const row of rows) {
      const rt = this.rt.get(row.channelName);
      if (!rt) continue;
      claimed.set(rt.name, (claimed.get(rt.name) ?? 0) + 1);
      this.startSend(rt, row);
    }
    for (const a of asks) {
      const rt = this.rt.get(a.channelName);
      if (rt) rt.more = (claimed.get(a.channelName) ?? 0) >= a.limit;
    }
    if (rows.length > 0) this.deps.outbox.nudge();
    return rows.length;
  }

  private startSend(rt: ChannelRuntime, row: ClaimedDelivery): void {
    rt.active++;
    const p = rt.breaker
      .fire(row)
      .then(
        (res) => this.onResult(rt, row, undefined, res.providerMessageId),
        (err: unknown) => this.onResult(rt, row, err, undefined),
      )
      .finally(() => {
        rt.active--;
        this.sends.delete(p);
        if (rt.more) this.kick();
      });
    this.sends.add(p);
  }

  private onResult(rt: ChannelRuntime, row: ClaimedDelivery, err: unknown, providerMessageId: string | undefined): void {
    const now = this.deps.clock.now();
    if (err === undefined) {
      this.push({ row, state: 'sent', outcome: 'sent', providerMessageId: providerMessageId ?? '' }, rt);
      const created = Date.parse(row.message?.items[0]?.alert.createdAt ?? '');
      if (Number.isFinite(created)) this.deps.metrics.latency.observe({ type: rt.cfg.type }, Math.max(0, Date.now() - created) / 1000);
      // The bound child logger only when it will write: building one per send (its bindings run
      // through redaction) was ~1% of the router's CPU at burst.
      if (this.deps.log.isLevelEnabled('debug')) this.rowLog(rt, row).debug('delivered');
      return;
    }
    const log = this.rowLog(rt, row);
    const open = (err as { code?: string }).code === 'EOPENBREAKER';
    const e =
      err instanceof ChannelError
        ? err
        : open
          ? new ChannelError('SW_ROUTER_CIRCUIT_OPEN', `circuit of ${rt.name} is open`, { retryable: true, retryAfterMs: rt.resetMs })
          : new ChannelError('SW_ROUTER_PROVIDER_UNAVAILABLE', (err as Error).message ?? String(err), { retryable: true, cause: err });
    const error = { code: e.providerCode ? `${e.code}:${e.providerCode}`.slice(0, 64) : e.code, message: e.message };
    const fallback = rt.cfg.fallback;
    const canFallback = fallback !== undefined && this.rt.has(fallback);
    const exhausted = row.attempts >= (rt.cfg.maxAttempts ?? CHANNEL_DEFAULTS.maxAttempts);
    if (canFallback && (open || !e.retryable || exhausted || row.attempts >= (rt.cfg.fallbackAfter ?? CHANNEL_DEFAULTS.fallbackAfter))) {
      const fb = this.rt.get(fallback) as ChannelRuntime;
      this.fallbacks.push({
        key: deliveryKey(row.key, 'fallback', fallback),
        notificationKey: row.notificationKey,
        alertId: row.alertId,
        alertIds: (row.message?.items ?? []).map((i) => i.alert.alertId),
        departmentId: row.departmentId,
        workOrderId: row.workOrderId ?? undefined,
        channelName: fallback,
        channelType: fb.cfg.type,
        target: row.target,
        message: row.message as Notification,
        nextAttemptAt: now,
        fallbackOf: row.key,
      });
      this.push({ row, state: 'failed', outcome: 'failed', error: { code: 'SW_ROUTER_FALLBACK', message: `${error.code} → ${fallback}` } }, rt);
      log.warn({ err: e, fallback }, 'delivery moved to fallback channel');
    } else if (!e.retryable || exhausted) {
      this.push({ row, state: 'dead', outcome: 'dead', error }, rt);
      log.error({ err: e }, 'delivery dead: no attempts left');
    } else {
      // Never sooner than the provider's Retry-After.
      const wait = Math.max(backoffDelay(rt.backoff, row.attempts, this.deps.random), Math.round(e.retryAfterMs ?? 0));
      this.push({ row, state: 'retrying', outcome: 'retrying', nextAttemptAt: now + wait, error }, rt);
      log.info({ err: e, waitMs: wait }, 'delivery will be retried');
    }
  }

  private rowLog(rt: ChannelRuntime, row: ClaimedDelivery): Logger {
    return this.deps.log.child({ alertId: row.alertId, channel: rt.name, key: row.key, attempt: row.attempts });
  }

  private push(o: OutcomeRecord, rt: ChannelRuntime): void {
    this.deps.metrics.deliveries.inc({ channel: rt.name, type: rt.cfg.type, outcome: o.outcome });
    this.outcomes.push(o);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.flushOutcomes())
      .catch((err: unknown) => this.deps.log.error({ err }, 'recording delivery outcomes failed; rows stay in flight until recovery'))
      .finally(() => {
        this.flushing = undefined;
        if (this.outcomes.length > 0 || this.fallbacks.length > 0) this.scheduleFlush();
      });
  }

  private async flushOutcomes(): Promise<void> {
    const outcomes = this.outcomes;
    const fallbacks = this.fallbacks;
    this.outcomes = [];
    this.fallbacks = [];
    await this.deps.store.recordOutcomes(outcomes, fallbacks, this.deps.clock.now());
    this.deps.outbox.nudge();
    if (fallbacks.length > 0) this.kick();
  }

  /** Wait for running sends and their outcomes to be recorded. */
  private async settle(): Promise<void> {
    while (this.sends.size > 0 || this.flushing || this.outcomes.length > 0) {
      await Promise.all([...this.sends]);
      if (this.outcomes.length > 0 && !this.flushing) this.scheduleFlush();
      await this.flushing;
    }
  }

  /** Circuit state per channel, for tests and /readyz detail. */
  circuitState(channel: string): 'closed' | 'open' | 'half-open' | undefined {
    const b = this.rt.get(channel)?.breaker;
    if (!b) return undefined;
    return b.opened ? 'open' : b.halfOpen ? 'half-open' : 'closed';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.pumping;
    await this.settle();
    for (const rt of this.rt.values()) rt.breaker.shutdown();
  }
}
