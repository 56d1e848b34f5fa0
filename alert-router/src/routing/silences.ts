/**
 * Silences: a matcher with a start and an end, stored in PostgreSQL; while active, matching alerts
 * are not notified (checked when their group is flushed, like Alertmanager). A silence applies to
 * every department, or only to notifications for one (`departmentId`: a department head's).
 * Expiring a silence ends it now. The active set is cached per process and reloaded on every change
 * made through this store and on `refresh()` (the pipeline calls it every 40 polls, so another
 * router instance sees a change within ~10 s at the default 250 ms poll).
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from '@streetwatch/platform';
import type { Alert } from '@streetwatch/schemas';
import type { SilenceMatcher } from '../config/schema.js';
import { ChannelError } from '../channels/errors.js';
import type { Clock } from '@streetwatch/platform';
import { compileMatcher, type CompiledMatcher } from './match.js';

export interface Silence {
  readonly silenceId: string;
  readonly matcher: SilenceMatcher;
  readonly startsAt: string;
  readonly endsAt: string;
  /** Only notifications for this department are silenced; absent: every department. */
  readonly departmentId?: string;
  readonly createdBy: string;
  readonly comment: string;
  readonly createdAt: string;
  readonly expiredAt?: string;
  readonly expiredBy?: string;
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
  department_id: string | null;
  expired_by: string | null;
}

export class SilenceStore {
  private active: Array<{ id: string; start: number; end: number; departmentId: string | null; match: CompiledMatcher }> = [];

  constructor(
    private readonly pool: Pool,
    private readonly clock: Clock,
  ) {}

  async create(req: {
    matcher: SilenceMatcher;
    startsAt?: string;
    endsAt: string;
    createdBy: string;
    comment: string;
    departmentId?: string;
  }): Promise<Silence> {
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
      `INSERT INTO router_silences (silence_id, matcher, starts_at, ends_at, created_by, comment, created_at, department_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [`sil-${randomUUID()}`, JSON.stringify(req.matcher), new Date(start), new Date(end), req.createdBy, req.comment, new Date(now), req.departmentId ?? null],
    );
    await this.refresh();
    return this.view(res.rows[0] as Row);
  }

  /**
   * Newest first, at most 500. `departmentId`: only silences that apply to that department (its own
   * and the ones for every department); absent: all.
   */
  async list(opts: { includeExpired?: boolean; departmentId?: string } = {}): Promise<Silence[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (!opts.includeExpired) {
      params.push(new Date(this.clock.now()));
      where.push(`expired_at IS NULL AND ends_at > $${params.length}`);
    }
    if (opts.departmentId !== undefined) {
      params.push(opts.departmentId);
      where.push(`(department_id IS NULL OR department_id = $${params.length})`);
    }
    const res = await this.pool.query<Row>(
      `SELECT * FROM router_silences ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT 500`,
      params,
    );
    return res.rows.map((r) => this.view(r));
  }

  /** One silence (expired ones too), or undefined. */
  async get(id: string): Promise<Silence | undefined> {
    const res = await this.pool.query<Row>('SELECT * FROM router_silences WHERE silence_id = $1', [id]);
    const row = res.rows[0];
    return row ? this.view(row) : undefined;
  }

  async expire(id: string, by?: string): Promise<Silence> {
    const now = new Date(this.clock.now());
    const res = await this.pool.query<Row>(
      `UPDATE router_silences SET expired_at = $2, ends_at = LEAST(ends_at, $2), expired_by = $3
       WHERE silence_id = $1 AND expired_at IS NULL RETURNING *`,
      [id, now, by ?? null],
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
      departmentId: r.department_id,
      match: compileMatcher(r.matcher),
    }));
  }

  /** The id of an active silence matching the alert, notified to `departmentId`, at `now`, if any. */
  silencedBy(alert: Alert, now: number, departmentId?: string): string | undefined {
    return this.active.find(
      (s) => s.start <= now && now < s.end && (s.departmentId === null || s.departmentId === departmentId) && s.match(alert, now),
    )?.id;
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
      ...(r.department_id ? { departmentId: r.department_id } : {}),
      createdBy: r.created_by,
      comment: r.comment,
      createdAt: r.created_at.toISOString(),
      ...(r.expired_at ? { expiredAt: r.expired_at.toISOString() } : {}),
      ...(r.expired_by ? { expiredBy: r.expired_by } : {}),
      state: r.expired_at || end <= now ? 'expired' : start > now ? 'pending' : 'active',
    };
  }
}
