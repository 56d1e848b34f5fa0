/**
 * Live tickets: the router issues one per (camera, user) request, for a user whose department
 * owns a zone on that camera (supervisors: any camera); the browser presents it once, when it
 * opens the camera's WebSocket. Token: `<ticket id base36>.<first 96 bits of
 * HMAC-SHA256(key, "lv1.<id>"), base64url>`; what it allows (camera, user, until when, used yet)
 * is its row in `live_tickets`, read and marked used in one statement when it is presented, so a
 * ticket opens one stream, on one router instance, once. Every presented ticket that is genuine
 * is a row in `live_views` (opened or refused, and why); a forged one is counted and logged.
 */
import { signId, verifySignedId, type Clock, type Pool } from '@streetwatch/platform';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';

const PURPOSE = 'lv1';

export function signTicketId(key: Buffer, id: bigint): string {
  return signId(key, PURPOSE, id);
}

/** The ticket id of a well-formed token with a valid signature, else undefined. */
export function verifyTicket(key: Buffer, token: string): bigint | undefined {
  return verifySignedId(key, PURPOSE, token);
}

export interface IssuedTicket {
  readonly ticket: string;
  readonly expiresAt: string;
}

export interface Redeemed {
  readonly ticketId: bigint;
  readonly viewId: bigint;
  readonly userId: string;
}

export interface RedeemRequest {
  readonly token: string;
  readonly cameraId: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

export class LiveTickets {
  private readonly key: Buffer;

  constructor(
    signingKey: string,
    private readonly ttlMs: number,
    private readonly deps: { readonly pool: Pool; readonly clock: Clock },
  ) {
    this.key = Buffer.from(signingKey, 'utf8');
    if (this.key.length < 32) throw new WorkOrderError('SW_ROUTER_LIVE_DISABLED', 'live.signingKey must be at least 32 bytes');
  }

  /** A ticket for `user` to open `cameraId` once (the caller checked that the user may watch it). */
  async issue(user: User, cameraId: string): Promise<IssuedTicket> {
    const now = new Date(this.deps.clock.now());
    const expires = new Date(now.getTime() + this.ttlMs);
    const r = await this.deps.pool.query<{ id: string }>(
      `INSERT INTO live_tickets (camera_id, user_id, department_id, role, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [cameraId, user.id, user.departmentId, user.role, now, expires],
    );
    return { ticket: signTicketId(this.key, BigInt(r.rows[0]?.id as string)), expiresAt: expires.toISOString() };
  }

  /**
   * Check a presented ticket for `cameraId` and use it up; the opening (or the refusal of a
   * genuine ticket) is written to `live_views`. Throws SW_ROUTER_LIVE_TICKET_INVALID (malformed,
   * forged, unknown), _CAMERA (issued for another camera), _EXPIRED, _USED.
   */
  async redeem(req: RedeemRequest): Promise<Redeemed> {
    const id = verifyTicket(this.key, req.token);
    if (id === undefined) throw new WorkOrderError('SW_ROUTER_LIVE_TICKET_INVALID');
    const now = new Date(this.deps.clock.now());
    // Used up only when it is for this camera and still valid; the row tells why otherwise.
    const r = await this.deps.pool.query<{ camera_id: string; user_id: string; expires_at: Date; used_at: Date | null; took: boolean }>(
      `WITH took AS (
         UPDATE live_tickets SET used_at = $3
          WHERE id = $1 AND camera_id = $2 AND used_at IS NULL AND expires_at > $3
          RETURNING id)
       SELECT t.camera_id, t.user_id, t.expires_at, t.used_at, EXISTS (SELECT 1 FROM took) AS took FROM live_tickets t WHERE t.id = $1`,
      [id.toString(), req.cameraId, now],
    );
    const row = r.rows[0];
    if (!row) throw new WorkOrderError('SW_ROUTER_LIVE_TICKET_INVALID');
    let refusal: WorkOrderError | undefined;
    if (!row.took) {
      if (row.camera_id !== req.cameraId) refusal = new WorkOrderError('SW_ROUTER_LIVE_TICKET_CAMERA', `the ticket is for camera ${row.camera_id}, not ${req.cameraId}`);
      else if (row.used_at !== null) refusal = new WorkOrderError('SW_ROUTER_LIVE_TICKET_USED');
      else refusal = new WorkOrderError('SW_ROUTER_LIVE_TICKET_EXPIRED', `the ticket expired at ${row.expires_at.toISOString()}`);
    }
    const v = await this.deps.pool.query<{ id: string }>(
      `INSERT INTO live_views (ticket_id, camera_id, user_id, result, opened_at, closed_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [id.toString(), req.cameraId, row.user_id, refusal ? refusal.code : 'ok', now, refusal ? now : null, req.ip ?? null, req.userAgent?.slice(0, 512) ?? null],
    );
    if (refusal) throw refusal;
    return { ticketId: id, viewId: BigInt(v.rows[0]?.id as string), userId: row.user_id };
  }

  /** The viewing ended: when, and how many bytes it was sent. */
  async closed(viewId: bigint, bytes: number): Promise<void> {
    await this.deps.pool.query('UPDATE live_views SET closed_at = $2, bytes = $3 WHERE id = $1', [viewId.toString(), new Date(this.deps.clock.now()), bytes]);
  }
}
