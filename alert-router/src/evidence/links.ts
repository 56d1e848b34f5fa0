/**
 * Evidence links: a picture of a work order is seen only through a short-lived link issued per
 * request — to a console/API user who may see the order, or to a channel (SMS, robot) sending a
 * notification about it — and served by the router itself (GET /e/<token>), which streams it
 * from the store after checking the link, its expiry and the picture's sha256, and writes the
 * view to `evidence_views`. The store stays private: only the router holds (read) credentials.
 *
 * Why not presigned GET URLs: the store would serve the bytes and the router would never see a
 * view (no audit of who looked, only who asked), the bucket's endpoint would have to be public,
 * and a presigned URL cannot be shorter than its signature (SMS). Pictures are ~100 KB: passing
 * them through the router costs little.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Logger, Pool } from '@streetwatch/platform';
import { isS3Refusal, s3ErrorCode } from '@streetwatch/platform';
import type { Alert, EvidenceRef } from '@streetwatch/schemas';
import { ms } from '../config/durations.js';
import type { EvidenceConfig } from '../config/schema.js';
import type { Clock } from '@streetwatch/platform';
import { WorkOrderError } from '../workorders/errors.js';
import { signLinkId, verifyLinkToken } from './tokens.js';

export type LinkChannel = 'console' | 'api' | 'sms' | 'robot';

export interface IssuedLink {
  readonly url: string;
  readonly expiresAt: string;
}

export interface LinkRequest {
  readonly workOrderId: string;
  readonly departmentId: string;
  readonly index: number;
  readonly evidence: EvidenceRef;
  /** A user id, or `<channel kind>:<channel name>`. */
  readonly subject: string;
  readonly role?: string;
  readonly channel: LinkChannel;
}

export interface ViewRequest {
  readonly token: string;
  readonly ip?: string;
  readonly userAgent?: string;
}

export interface EvidenceLinksDeps {
  readonly pool: Pool;
  readonly s3: S3Client;
  readonly signingKey: string;
  readonly clock: Clock;
  readonly log: Logger;
}

export class EvidenceLinks {
  private readonly key: Buffer;
  private readonly base: string;
  private readonly ttlMs: Record<LinkChannel, number>;
  private readonly log: Logger;

  constructor(
    private readonly config: EvidenceConfig,
    private readonly deps: EvidenceLinksDeps,
  ) {
    this.key = Buffer.from(deps.signingKey, 'utf8');
    if (this.key.length < 32) throw new WorkOrderError('SW_ROUTER_EVIDENCE_DISABLED', 'evidence.signingKey must be at least 32 bytes');
    this.base = config.publicBaseUrl.replace(/\/+$/, '');
    this.ttlMs = { console: ms(config.ttl.console), api: ms(config.ttl.console), sms: ms(config.ttl.sms), robot: ms(config.ttl.robot) };
    this.log = deps.log.child({ component: 'evidence-links' });
  }

  ttlOf(channel: LinkChannel): number {
    return this.ttlMs[channel];
  }

  /** A new link for one picture (the caller checked that `subject` may see the work order). */
  async issue(req: LinkRequest): Promise<IssuedLink> {
    const ev = req.evidence;
    if (!('key' in ev)) throw new WorkOrderError('SW_ROUTER_EVIDENCE_NOT_FOUND', `picture ${req.index} of ${req.workOrderId} stayed on its edge box (a gateway before the evidence store)`);
    const now = new Date(this.deps.clock.now());
    const expires = new Date(now.getTime() + this.ttlMs[req.channel]);
    const r = await this.deps.pool.query<{ id: string }>(
      `INSERT INTO evidence_links (work_order_id, department_id, evidence_index, object_key, sha256, subject, role, channel, issued_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [req.workOrderId, req.departmentId, req.index, ev.key, ev.sha256, req.subject, req.role ?? null, req.channel, now, expires],
    );
    const id = BigInt(r.rows[0]?.id as string);
    return { url: `${this.base}/e/${signLinkId(this.key, id)}`, expiresAt: expires.toISOString() };
  }

  /** The first picture of a notification's first work order, for a channel (undefined: none to show). */
  async forNotification(items: ReadonlyArray<{ readonly alert: Alert; readonly workOrderId?: string }>, departmentId: string, channel: 'sms' | 'robot', channelName: string): Promise<string | undefined> {
    for (const { alert, workOrderId } of items) {
      const index = alert.evidence.findIndex((e) => 'key' in e);
      const ev = alert.evidence[index];
      if (workOrderId === undefined || ev === undefined) continue;
      try {
        return (await this.issue({ workOrderId, departmentId, index, evidence: ev, subject: `${channel}:${channelName}`, channel })).url;
      } catch (err) {
        this.log.warn({ err, workOrderId }, 'no evidence link for this notification: it goes without a picture');
        return undefined;
      }
    }
    return undefined;
  }

  /** Check a link, fetch its picture, check its sha256, audit the view. */
  async view(req: ViewRequest): Promise<{ body: Buffer; contentType: string; expiresAt: Date }> {
    const id = verifyLinkToken(this.key, req.token);
    if (id === undefined) throw new WorkOrderError('SW_ROUTER_EVIDENCE_LINK_INVALID', 'no such evidence link');
    const r = await this.deps.pool.query<{ work_order_id: string; object_key: string; sha256: string; subject: string; channel: string; expires_at: Date }>(
      'SELECT work_order_id, object_key, sha256, subject, channel, expires_at FROM evidence_links WHERE id = $1',
      [id.toString()],
    );
    const link = r.rows[0];
    if (!link) throw new WorkOrderError('SW_ROUTER_EVIDENCE_LINK_INVALID', 'no such evidence link');
    const now = new Date(this.deps.clock.now());
    if (link.expires_at.getTime() <= now.getTime()) {
      throw new WorkOrderError('SW_ROUTER_EVIDENCE_LINK_EXPIRED', `the link expired at ${link.expires_at.toISOString()}`);
    }
    const body = await this.fetch(link.object_key);
    const sha = createHash('sha256').update(body).digest('hex');
    if (sha !== link.sha256) {
      this.log.error({ workOrderId: link.work_order_id, key: link.object_key, want: link.sha256, got: sha }, 'stored evidence does not match its event: refused');
      throw new WorkOrderError('SW_ROUTER_EVIDENCE_CORRUPT', `object ${link.object_key}`);
    }
    await this.deps.pool.query(
      `INSERT INTO evidence_views (link_id, work_order_id, subject, channel, viewed_at, ip, user_agent, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id.toString(), link.work_order_id, link.subject, link.channel, now, req.ip ?? null, req.userAgent?.slice(0, 512) ?? null, body.length],
    );
    return { body, contentType: 'image/jpeg', expiresAt: link.expires_at };
  }

  private async fetch(key: string): Promise<Buffer> {
    try {
      const res = await this.deps.s3.send(new GetObjectCommand({ Bucket: this.config.store.bucket, Key: key }));
      return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    } catch (err) {
      const code = s3ErrorCode(err);
      if (code === 'NoSuchKey' || code === 'HTTP_404') throw new WorkOrderError('SW_ROUTER_EVIDENCE_PENDING', `object ${key} is not in the store yet`);
      if (isS3Refusal(code)) this.log.error({ code, key }, 'the evidence store refuses the router: check evidence.store credentials');
      throw new WorkOrderError('SW_ROUTER_EVIDENCE_STORE', `${code} reading ${key}`);
    }
  }
}
