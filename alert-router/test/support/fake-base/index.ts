/**
 * Common machinery of the local provider fakes: a fastify server on port 0 that keeps raw bodies,
 * records every request (with the idempotency key it carried and whether it verified), counts
 * accepted requests per key, can delay answers, and can be told to answer the next requests with
 * a provider's documented error.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

export interface Scripted {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export interface Seen {
  readonly key: string | undefined;
  readonly verified: boolean;
  readonly reason?: string;
  readonly at: number;
}

export interface TeardownHost {
  teardown(fn: () => unknown): void;
}

export class FakeBase {
  readonly app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  url = '';
  readonly seen: Seen[] = [];
  /** Requests accepted (answered with success) per idempotency key. */
  readonly accepted = new Map<string, number>();
  delayMs = 0;
  private script: Scripted[] = [];

  constructor() {
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      this.app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    }
  }

  /** Answer the next `n` verified requests with `r` (a provider's documented error). */
  failNext(n: number, r: Scripted): void {
    for (let i = 0; i < n; i++) this.script.push(r);
  }

  /** Answer every verified request with `r` until `clearFailures`. */
  failAlways(r: Scripted): void {
    this.always = r;
  }
  private always: Scripted | undefined;
  clearFailures(): void {
    this.script = [];
    this.always = undefined;
  }

  /** Run after verification: a scripted failure, or the success answer (and count the key). */
  async answer(reply: FastifyReply, key: string | undefined, success: () => Scripted): Promise<FastifyReply> {
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const s = this.script.shift() ?? this.always;
    if (s) {
      this.seen.push({ key, verified: true, reason: 'scripted failure', at: Date.now() });
      return reply.code(s.status).headers(s.headers ?? {}).send(s.body);
    }
    this.seen.push({ key, verified: true, at: Date.now() });
    if (key) this.accepted.set(key, (this.accepted.get(key) ?? 0) + 1);
    const ok = success();
    return reply.code(ok.status).headers(ok.headers ?? {}).send(ok.body);
  }

  reject(reply: FastifyReply, key: string | undefined, reason: string, r: Scripted): FastifyReply {
    this.seen.push({ key, verified: false, reason, at: Date.now() });
    return reply.code(r.status).headers(r.headers ?? {}).send(r.body);
  }

  async listen(t?: TeardownHost): Promise<this> {
    const addr = await this.app.listen({ host: '127.0.0.1', port: 0 });
    this.url = addr;
    t?.teardown(() => this.app.close());
    return this;
  }

  close(): Promise<void> {
    return this.app.close();
  }

  verifiedCount(): number {
    return this.seen.filter((s) => s.verified).length;
  }
}

/** Parse a raw query string the way a server does: split on & and =, percent-decode each part. */
export function rawQuery(req: FastifyRequest): Record<string, string> {
  const q = req.raw.url?.split('?')[1] ?? '';
  return parsePairs(q);
}

export function parsePairs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split('&')) {
    if (!part) continue;
    const i = part.indexOf('=');
    const k = decodeURIComponent((i < 0 ? part : part.slice(0, i)).replace(/\+/g, ' '));
    out[k] = decodeURIComponent((i < 0 ? '' : part.slice(i + 1)).replace(/\+/g, ' '));
  }
  return out;
}

/** The `ref: <key>` line robots carry in their text. */
export function refKey(text: string | undefined): string | undefined {
  return /ref: (dk-[0-9a-f]+)/.exec(text ?? '')?.[1];
}
