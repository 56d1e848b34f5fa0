/**
 * Silences: a matcher with a start and an end, stored in PostgreSQL; while active, matching alerts
 * are not notified (checked when their group is flushed, like Alertmanager). Expiring a silence
 * ends it now. The active set is cached and reloaded on every change and on `refresh()`.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '@streetwatch/platform';
import type { Alert } from '@streetwatch/schemas';
import type { SilenceMatcher } from '../config/schema.js';
import { ChannelError } from '../delivery/errors.js';
import type { Clock } from './clock.js';
import { compileMatcher, type CompiledMatcher } from './match.js';

export interface Silence {
  readonly silenceId: string;
  readonly matcher: SilenceMatcher;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly createdAt: string;
  readonly expiredAt?: string;
  readonly state: 'pending' | 'active' | 'expired';
}

interface Row {
  silence_id: string;
  matcher: SilenceMatcher;
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  comment: string;
  created_at: Date;
  expired_at: Date | null;
}

export class SilenceStore {
  private active: Array<{ id: string; start: number; end: number; match: CompiledMatcher }> = [];

  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  async create(req: { matcher: SilenceMatcher; startsAt?: string; endsAt: string; createdBy: string; comment: string }): Promise<Silence> {
    const now = this.clock.now();
    const start = req.startsAt ? Date.parse(req.startsAt) : now;
    const end = Date.parse(req.endsAt);
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start || end <= now) {
      throw new ChannelError('SW_ROUTER_SILENCE_INVALID', 'endsAt must be after startsAt and in the future', { retryable: false });
    }
    if (Object.keys(req.matcher).length === 0) {
      throw new ChannelError('SW_ROUTER_SILENCE_INVALID', 'a silence needs at least one matcher field', { retryable: false });
    }
    const res = await this.pool.query<Row>(
      `INSERT INTO router_silences (silence_id, matcher, starts_at, ends_at, created_by, comment, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [`sil-${randomUUID()}`, JSON.stringify(req.matcher), new Date(start), new Date(end), req.createdBy, req.comment, new Date(now)],
    );
    await this.refresh();
    return this.view(res.rows[0] as Row);
  }

  async list(opts: { includeExpired?: boolean } = {}): Promise<Silence[]> {
    const res = await this.pool.query<Row>(
      opts.includeExpired
        ? 'SELECT * FROM router_silences ORDER BY created_at DESC LIMIT 500'
        : 'SELECT * FROM router_silences WHERE expired_at IS NULL AND ends_at > $1 ORDER BY created_at DESC LIMIT 500',
      opts.includeExpired ? [] : [new Date(this.clock.now())],
    );
    return res.rows.map((r) => this.view(r));
  }

  async expire(id: string): Promise<Silence> {
    const now = new Date(this.clock.now());
    const res = await this.pool.query<Row>(
      `UPDATE router_silences SET expired_at = $2, ends_at = LEAST(ends_at, $2) WHERE silence_id = $1 AND expired_at IS NULL RETURNING *`,
      [id, now],
    );
    const row = res.rows[0];
    if (!row) throw new ChannelError('SW_ROUTER_SILENCE_NOT_FOUND', `no active silence ${id}`, { retryable: false });
    await this.refresh();
    return this.view(row);
  }

  /** Reload the not-yet-ended silences into the cache. */
  async refresh(): Promise<void> {
    const res = await this.pool.query<Row>('SELECT * FROM router_silences WHERE expired_at IS NULL AND ends_at > $1', [
      new Date(this.clock.now()),
    ]);
    this.active = res.rows.map((r) => ({
      id: r.silence_id,
      start: r.starts_at.getTime(),
      end: r.ends_at.getTime(),
      match: compileMatcher(r.matcher),
    }));
  }

  /** The id of an active silence matching the alert at `now`, if any. */
  silencedBy(alert: Alert, now: number): string | undefined {
    return this.active.find((s) => s.start <= now && now < s.end && s.match(alert, now))?.id;
  }

  private view(r: Row): Silence {
    const now = this.clock.now();
    const start = r.starts_at.getTime();
    const end = r.ends_at.getTime();
    return {
      silenceId: r.silence_id,
      matcher: r.matcher,
      startsAt: r.starts_at.toISOString(),
      endsAt: r.ends_at.toISOString(),
      createdBy: r.created_by,
      comment: r.comment,
      createdAt: r.created_at.toISOString(),
      ...(r.expired_at ? { expiredAt: r.expired_at.toISOString() } : {}),
      state: r.expired_at || end <= now ? 'expired' : start > now ? 'pending' : 'active',
    };
  }
}
