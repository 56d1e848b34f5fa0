/**
 * Issued API tokens (`api_tokens`): made by `alert-router tokens issue`, kept only as sha256 with
 * an expiry, listed and revoked by their public id. The token itself is shown once, to the admin
 * who issued it, and never stored or logged.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Pool } from '@streetwatch/platform';
import { WorkOrderError } from '../workorders/errors.js';

/** A token's public id: the first 12 hex digits of its sha256 (reveals nothing usable about it). */
export function tokenIdOf(sha256: string): string {
  return sha256.slice(0, 12);
}

export interface ApiTokenRow {
  readonly id: string;
  readonly userId: string;
  readonly label: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
}

const COLUMNS = 'id, user_id, label, created_at, expires_at, revoked_at';

function toRow(r: Record<string, unknown>): ApiTokenRow {
  return {
    id: r.id as string,
    userId: r.user_id as string,
    label: (r.label as string | null) ?? null,
    createdAt: r.created_at as Date,
    expiresAt: r.expires_at as Date,
    revokedAt: (r.revoked_at as Date | null) ?? null,
  };
}

export class ApiTokens {
  constructor(private readonly pool: Pick<Pool, 'query'>) {}

  async lookup(sha256: string): Promise<ApiTokenRow | undefined> {
    const r = await this.pool.query(`SELECT ${COLUMNS} FROM api_tokens WHERE sha256 = $1`, [sha256]);
    return r.rows[0] ? toRow(r.rows[0] as Record<string, unknown>) : undefined;
  }

  /** A new token for `userId`, valid until `expiresAt`: 256 random bits, `swt_` + base64url. */
  async issue(userId: string, expiresAt: Date, label?: string): Promise<{ token: string; row: ApiTokenRow }> {
    const token = `swt_${randomBytes(32).toString('base64url')}`;
    const sha256 = createHash('sha256').update(token, 'utf8').digest('hex');
    const r = await this.pool.query(
      `INSERT INTO api_tokens (id, sha256, user_id, label, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [tokenIdOf(sha256), sha256, userId, label ?? null, expiresAt],
    );
    return { token, row: toRow(r.rows[0] as Record<string, unknown>) };
  }

  async list(userId?: string): Promise<ApiTokenRow[]> {
    const r = await this.pool.query(
      `SELECT ${COLUMNS} FROM api_tokens WHERE $1::text IS NULL OR user_id = $1 ORDER BY user_id, created_at`,
      [userId ?? null],
    );
    return r.rows.map((x) => toRow(x as Record<string, unknown>));
  }

  /** Revoke by id (refused from the next request on, on every instance); throws SW_ROUTER_TOKEN_NOT_FOUND. */
  async revoke(id: string): Promise<ApiTokenRow> {
    const r = await this.pool.query(
      `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
      [id],
    );
    if (!r.rows[0]) throw new WorkOrderError('SW_ROUTER_TOKEN_NOT_FOUND', `no API token with id ${id}`);
    return toRow(r.rows[0] as Record<string, unknown>);
  }
}
