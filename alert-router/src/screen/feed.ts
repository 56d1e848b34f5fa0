import { counter, gauge, histogram, type Clock, type Logger, type Pool, type Registry } from '@streetwatch/platform';
import type { ScreenConfig } from './config.js';
import {
  cameras,
  dayWindow,
  flowsToday,
  recentAlerts,
  shopsAtRisk,
  violationsToday,
  workOrders,
  type CamerasFigure,
  type FlowsFigure,
  type ShopFigure,
  type TickerAlert,
  type ViolationsFigure,
  type WorkOrdersFigure,
} from './figures.js';

/** Everything the screen shows, as of `asOf`. */
export interface ScreenSnapshot {
  readonly asOf: string;
  readonly title: string;
  readonly timeZone: string;
  readonly day: { start: string; end: string };
  readonly departments: ReadonlyArray<{ id: string; name: string }>;
  readonly cameras: CamerasFigure;
  readonly violations: ViolationsFigure;
  /** People and vehicles crossing count lines today. */
  readonly flows: FlowsFigure;
  readonly workOrders: WorkOrdersFigure;
  readonly shops: ShopFigure[];
  readonly alerts: TickerAlert[];
}

export interface ScreenFeedDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: Registry;
  /** The work-order time zone: "today" and the hours of the day. */
  readonly timeZone: string;
  readonly departments: ReadonlyArray<{ id: string; name: string }>;
}

/** A screen's connection: `snapshot` when a figure changed, `asof` when only the time moved. */
export type ScreenSink = (event: 'snapshot' | 'asof', data: string) => void;

interface Viewer {
  readonly send: ScreenSink;
  /** Ends the connection (router shutdown). */
  readonly end: () => void;
}

/**
 * Computes the snapshot every `refreshMs` while at least one screen is connected (never when none
 * is), once for all of them, and pushes it to each when a figure changed.
 */
export class ScreenFeed {
  private readonly viewers = new Set<Viewer>();
  private timer: NodeJS.Timeout | undefined;
  private last: { figures: string; snapshot: ScreenSnapshot } | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly metrics;

  constructor(
    readonly config: ScreenConfig,
    private readonly deps: ScreenFeedDeps,
  ) {
    this.metrics = {
      seconds: histogram(deps.registry, 'streetwatch_router_screen_refresh_seconds', 'Time to read every figure of the overview screen once', [], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]),
      errors: counter(deps.registry, 'streetwatch_router_screen_refresh_errors_total', 'Overview screen refreshes that failed (the last figures stay)'),
      viewers: gauge(deps.registry, 'streetwatch_router_screen_viewers', 'Overview screens connected to this instance'),
    };
  }

  get pool(): Pool {
    return this.deps.pool;
  }

  now(): Date {
    return new Date(this.deps.clock.now());
  }

  /** Read every figure now. */
  async compute(): Promise<ScreenSnapshot> {
    const end = this.metrics.seconds.startTimer();
    try {
      const now = new Date(this.deps.clock.now());
      const { pool, timeZone } = this.deps;
      const day = await dayWindow(pool, now, timeZone);
      const c = this.config;
      const [cams, violations, flows, orders, shops, alerts] = await Promise.all([
        cameras(pool, now, c.cameraGridHours, c.cameraStaleAfterSeconds),
        violationsToday(pool, day, timeZone),
        flowsToday(pool, day, timeZone),
        workOrders(pool, now, day, this.deps.departments.map((d) => d.id)),
        shopsAtRisk(pool, c.shopsMax),
        recentAlerts(pool, now, c.tickerSize),
      ]);
      return {
        asOf: now.toISOString(),
        title: c.title,
        timeZone,
        day: { start: day.start.toISOString(), end: day.end.toISOString() },
        departments: this.deps.departments,
        cameras: cams,
        violations,
        flows,
        workOrders: orders,
        shops,
        alerts,
      };
    } finally {
      end();
    }
  }

  /** The figures now: the live screens' latest while any is connected (refreshed every refreshMs), else read afresh. */
  async current(): Promise<ScreenSnapshot> {
    if (this.timer && this.last) return this.last.snapshot;
    return this.compute();
  }

  /** Connect a screen: it gets the current snapshot at once, then changes. Returns the disconnect. */
  subscribe(send: ScreenSink, end: () => void): () => void {
    const viewer: Viewer = { send, end };
    this.viewers.add(viewer);
    this.metrics.viewers.set(this.viewers.size);
    if (this.last) send('snapshot', JSON.stringify(this.last.snapshot));
    if (!this.timer && !this.closed) {
      this.timer = setInterval(() => void this.refresh(), this.config.refreshMs);
      this.timer.unref();
      void this.refresh();
    }
    return () => {
      this.viewers.delete(viewer);
      this.metrics.viewers.set(this.viewers.size);
      if (this.viewers.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.last = undefined; // figures go stale while nobody watches: the next screen reads afresh
      }
    };
  }

  /** Read the figures and push them to every screen if one changed (one refresh at a time). */
  refresh(): Promise<void> {
    this.running ??= this.refreshOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    let snapshot: ScreenSnapshot;
    try {
      snapshot = await this.compute();
    } catch (err) {
      this.metrics.errors.inc();
      this.deps.log.warn({ err }, 'overview screen: figures not read; the screens keep the last ones');
      return;
    }
    const figures = JSON.stringify({ ...snapshot, asOf: undefined });
    const changed = !this.last || this.last.figures !== figures;
    this.last = { figures, snapshot };
    const event = changed ? 'snapshot' : 'asof';
    const data = changed ? JSON.stringify(snapshot) : JSON.stringify({ asOf: snapshot.asOf });
    for (const v of this.viewers) v.send(event, data);
  }

  /** Stop refreshing and end the screens' streams (open streams would keep app.close() waiting). Idempotent. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const v of [...this.viewers]) v.end();
  }
}
