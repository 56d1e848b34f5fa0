/**
 * Drains the outbox's evidence pictures to the object store (S3 PutObject), oldest first, one at
 * a time (strictly in order, and a 4G uplink gains nothing from parallel uploads), each acked in
 * the outbox only after the store answered 200. Content-MD5 lets the store refuse a corrupted
 * body. A failed upload is retried unchanged after an exponential backoff with jitter; while
 * the uplink or the store is down the pictures wait on disk, bounded by the outbox's picture
 * policy (outbox/pictures.ts).
 *
 * At-least-once: a picture uploaded but not yet acked when the process dies is PUT again at the
 * next start, with the same key and bytes (harmless). The box's S3 identity may only PUT under
 * its own prefix: it cannot read, list or delete anything.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Backoff, counter, gauge, isS3Refusal, s3ErrorCode, withTimeout, type Logger, type Registry } from '@streetwatch/platform';
import type { Outbox } from '../outbox/outbox.js';
import { depthOrClosed, WakeableSleep } from '../outbox/wakeable-sleep.js';
import type { StoredPicture } from '../outbox/pictures.js';


export interface UploaderConfig {
  readonly bucket: string;
  readonly requestTimeoutMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly idleMs: number;
}

export interface UploaderDeps {
  readonly s3: S3Client;
  readonly outbox: Outbox;
  readonly registry: Registry;
  readonly log: Logger;
}

export class Uploader {
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly m;
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private stopping = false;
  private failingSince: number | undefined;
  private refusedLogged = false;
  private unsubscribe: (() => void) | undefined;
  private readonly sleeper = new WakeableSleep();
  private idleWaiters: Array<() => void> = [];
  private inflight: AbortController | undefined;

  constructor(
    private readonly config: UploaderConfig,
    private readonly deps: UploaderDeps,
  ) {
    this.log = deps.log.child({ component: 'uploader' });
    this.backoff = new Backoff({ initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs, jitter: 0.2 });
    const r = deps.registry;
    this.m = {
      uploaded: counter(r, 'streetwatch_edge_evidence_uploaded_total', 'Evidence pictures the object store acknowledged'),
      uploadedBytes: counter(r, 'streetwatch_edge_evidence_uploaded_bytes_total', 'Bytes of evidence pictures the object store acknowledged'),
      errors: counter(r, 'streetwatch_edge_evidence_upload_errors_total', 'Failed uploads (each is retried)', ['code']),
      up: gauge(r, 'streetwatch_edge_evidence_store_reachable', '1 when the last upload succeeded, 0 after a failure'),
    };
    this.m.up.set(0);
  }

  /** Start draining in the background (the store may be down); idempotent. */
  start(): void {
    if (this.loop || this.stopping) return;
    this.unsubscribe = this.deps.outbox.onPicture(() => this.sleeper.appended());
    this.loop = this.run().catch((err: unknown) => this.log.error({ err }, 'uploader loop failed'));
  }

  /** Keep uploading until nothing waits or `graceMs` passed, then stop. Returns how many are left. */
  async flush(graceMs: number): Promise<number> {
    if (!this.stopping) {
      this.start();
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.sleeper.appended();
      const drained = await Promise.race([idle.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
      clearTimeout(timer);
      if (!drained) this.log.warn({ graceMs, left: this.depth() }, 'upload grace time over: the remaining pictures stay in the outbox');
    }
    await this.close();
    return this.depth();
  }

  /** Stop the loop (an upload in flight is aborted: it stays queued). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping = true;
      this.unsubscribe?.();
      this.sleeper.stop();
      this.inflight?.abort();
      await withTimeout(this.loop ?? Promise.resolve(), this.config.requestTimeoutMs + 1000, 'uploader loop').catch(() => undefined);
      for (const w of this.idleWaiters.splice(0)) w();
    })();
    return this.closing;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let next: StoredPicture | undefined;
      try {
        next = this.deps.outbox.peekPictures(1)[0];
        if (next === undefined) {
          this.deps.outbox.prune();
          for (const w of this.idleWaiters.splice(0)) w();
          await this.sleeper.sleep(this.config.idleMs, true);
          continue;
        }
        await this.put(next);
        this.deps.outbox.ackPicture(next.seq);
        this.m.uploaded.inc();
        this.m.uploadedBytes.inc(next.body.length);
        this.onSuccess();
      } catch (err) {
        if (this.stopping) break;
        await this.onFailure(err, next);
      }
    }
  }

  private async put(p: StoredPicture): Promise<void> {
    const ac = new AbortController();
    this.inflight = ac;
    const timer = setTimeout(() => ac.abort(), this.config.requestTimeoutMs);
    try {
      await this.deps.s3.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: p.key,
          Body: p.body,
          ContentType: p.contentType,
          ContentLength: p.body.length,
          ContentMD5: createHash('md5').update(p.body).digest('base64'),
          Metadata: { sha256: p.sha256 },
        }),
        { abortSignal: ac.signal },
      );
    } finally {
      clearTimeout(timer);
      this.inflight = undefined;
    }
  }

  private onSuccess(): void {
    this.backoff.reset();
    this.m.up.set(1);
    this.refusedLogged = false;
    if (this.failingSince !== undefined) {
      this.log.info({ outageMs: Date.now() - this.failingSince, waiting: this.depth() }, 'object store takes pictures again: uploading the queue');
      this.failingSince = undefined;
    }
  }

  private async onFailure(err: unknown, p: StoredPicture | undefined): Promise<void> {
    const code = s3ErrorCode(err);
    this.m.errors.inc({ code });
    this.m.up.set(0);
    const delay = this.backoff.next();
    const ctx = { code, key: p?.key, attempt: this.backoff.attempts, retryInMs: delay, waiting: this.depth(), err: { message: (err as Error)?.message } };
    if (isS3Refusal(code) && !this.refusedLogged) {
      this.refusedLogged = true;
      this.log.error(ctx, `object store refuses this box (${code}): check evidence.store (credentials, bucket, and that the identity may PUT under the prefix); pictures wait on disk`);
    } else if (this.failingSince === undefined) {
      this.log.warn(ctx, 'object store unreachable or failing: pictures wait in the outbox; retrying with backoff');
    } else {
      this.log.debug(ctx, 'upload retry failed');
    }
    this.failingSince ??= Date.now();
    await this.sleeper.sleep(delay, false);
  }

  private depth(): number {
    return depthOrClosed(() => this.deps.outbox.pictureDepth());
  }
}
