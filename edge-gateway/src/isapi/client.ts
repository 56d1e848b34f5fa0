/**
 * The long-lived subscription to a camera's ISAPI alert stream
 * (`GET /ISAPI/Event/notification/alertStream`, HTTP digest auth, a `multipart/mixed` response
 * that never ends), kept alive by reconnecting:
 *
 *   connect (digest-fetch: challenge, then the authorised request) -> parts -> onPart
 *   end of body / network error / no byte for stallTimeoutMs -> backoff -> connect again
 *
 * A rejected password (401 after the digest answer) is one clear error, logged once per outage,
 * and retried only on the slow auth schedule (a camera locks an account after a few failures).
 * A 404/405 (no ISAPI events on this device/path) is retried on that slow schedule too.
 * Heartbeat parts (videoloss/inactive, every ~10 s) are bytes like any other: they keep the
 * stall timer from firing.
 */
import { DigestClient } from 'digest-fetch';
import type { Logger } from 'pino';
import { StreetwatchError } from '@streetwatch/platform';
import { EDGE_ERRORS, type EdgeErrorCode } from '../errors.js';
import { Backoff } from '@streetwatch/platform';
import type { ResolvedIsapiConfig } from './config.js';
import { boundaryOf, isPart, MultipartStreamParser, type Part, type PartProblem } from './multipart.js';

export type IsapiErrorCode = Extract<
  EdgeErrorCode,
  'SW_EDGE_CAMERA_AUTH' | 'SW_EDGE_CAMERA_UNREACHABLE' | 'SW_EDGE_STREAM_ENDED' | `SW_EDGE_ISAPI_${string}`
>;

export class IsapiError extends StreetwatchError<IsapiErrorCode> {
  constructor(code: IsapiErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, `${EDGE_ERRORS[code]}: ${message}`, { cause: opts.cause, retryable: opts.retryable ?? !SLOW.has(code) });
    this.name = 'IsapiError';
  }
}

/** Codes retried only on the slow (auth) schedule. */
const SLOW: ReadonlySet<IsapiErrorCode> = new Set<IsapiErrorCode>(['SW_EDGE_CAMERA_AUTH', 'SW_EDGE_ISAPI_UNSUPPORTED']);

export type StreamState = { connected: true } | { connected: false; code: IsapiErrorCode; detail: string };

export interface AlertStreamDeps {
  onPart(part: Part): void;
  onProblem(problem: PartProblem): void;
  onState(state: StreamState): void;
  log: Logger;
  random?: () => number;
}

/** What we use of digest-fetch (its typings name node-fetch, which we do not install). */
interface DigestFetcher {
  fetch(url: string, init: RequestInit): Promise<Response>;
}

export class AlertStreamClient {
  private readonly url: string;
  private readonly fast: Backoff;
  private readonly slow: Backoff;
  private abort: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastCode: IsapiErrorCode | undefined;
  private connects = 0;

  constructor(
    private readonly config: ResolvedIsapiConfig,
    private readonly deps: AlertStreamDeps,
  ) {
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    this.url = `${config.scheme}://${host}:${config.port}${config.path}`;
    const random = deps.random ?? Math.random;
    this.fast = new Backoff({ initialMs: config.backoffInitialMs, maxMs: config.backoffMaxMs, jitter: config.jitter }, random);
    this.slow = new Backoff({ initialMs: config.authBackoffMs, maxMs: config.authBackoffMaxMs, jitter: config.jitter }, random);
  }

  /** Connections opened so far (successful or not). */
  get attempts(): number {
    return this.connects;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Stop: abort the stream, cancel a pending reconnect. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.stallTimer);
    this.abort?.abort();
    this.wake?.();
    await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      let failure: IsapiError;
      try {
        await this.once();
        failure = new IsapiError('SW_EDGE_STREAM_ENDED', `${this.where()}: the camera closed the alert stream`);
      } catch (err) {
        if (this.closed) break;
        failure = err instanceof IsapiError ? err : new IsapiError('SW_EDGE_CAMERA_UNREACHABLE', `${this.where()}: ${(err as Error).message}`, { cause: err });
      }
      if (this.closed) break;
      const slow = !failure.retryable;
      const delay = slow ? this.slow.next() : this.fast.next();
      if (slow) this.fast.reset();
      this.report(failure, delay);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, delay);
        this.timer.unref();
      });
      this.wake = undefined;
    }
  }

  private where(): string {
    return `alert stream ${this.config.scheme}://${this.config.host}:${this.config.port}${this.config.path}`;
  }

  private report(err: IsapiError, delayMs: number): void {
    this.deps.onState({ connected: false, code: err.code, detail: err.message });
    const fields = { code: err.code, retryInMs: delayMs };
    // A persistent failure is logged in full once; repeats of the same code go to debug.
    if (err.code === this.lastCode) this.deps.log.debug(fields, err.message);
    else if (err.code === 'SW_EDGE_CAMERA_AUTH') this.deps.log.error(fields, err.message);
    else this.deps.log.warn(fields, err.message);
    this.lastCode = err.code;
  }

  /** One connection: resolves when the body ends, rejects with an IsapiError. */
  private async once(): Promise<void> {
    const ac = new AbortController();
    this.abort = ac;
    this.connects++;
    const connectTimer = setTimeout(() => ac.abort(new IsapiError('SW_EDGE_CAMERA_UNREACHABLE', `${this.where()}: no response within ${this.config.connectTimeoutMs} ms`)), this.config.connectTimeoutMs);
    let res: Response;
    try {
      const client = new DigestClient(this.config.username, this.config.password, { algorithm: 'MD5' }) as unknown as DigestFetcher;
      res = await client.fetch(this.url, { signal: ac.signal, headers: { accept: 'multipart/mixed, */*' } });
    } catch (err) {
      throw abortReason(ac) ?? new IsapiError('SW_EDGE_CAMERA_UNREACHABLE', `${this.where()}: ${causeText(err)}`, { cause: err });
    } finally {
      clearTimeout(connectTimer);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      throw new IsapiError('SW_EDGE_CAMERA_AUTH', `${this.where()}: HTTP ${res.status} for user ${JSON.stringify(this.config.username)} (check cameras.*.isapi username/password, or the source's)`);
    }
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      await res.body?.cancel().catch(() => {});
      throw new IsapiError('SW_EDGE_ISAPI_UNSUPPORTED', `${this.where()}: HTTP ${res.status}`);
    }
    if (res.status < 200 || res.status >= 300) {
      await res.body?.cancel().catch(() => {});
      throw new IsapiError('SW_EDGE_CAMERA_UNREACHABLE', `${this.where()}: HTTP ${res.status}`);
    }
    const contentType = res.headers.get('content-type');
    const boundary = boundaryOf(contentType);
    if (!/^multipart\//i.test(contentType ?? '') || boundary === undefined || res.body === null) {
      await res.body?.cancel().catch(() => {});
      throw new IsapiError('SW_EDGE_ISAPI_UNSUPPORTED', `${this.where()}: Content-Type ${JSON.stringify(contentType)} is not multipart with a boundary`);
    }
    const parser = new MultipartStreamParser(boundary, this.config.maxPartBytes);
    this.fast.reset();
    this.slow.reset();
    this.lastCode = undefined;
    this.deps.log.info({ url: this.url }, 'ISAPI alert stream connected');
    this.deps.onState({ connected: true });
    this.armStall(ac);
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        this.armStall(ac);
        for (const out of parser.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
          if (isPart(out)) this.deps.onPart(out);
          else this.deps.onProblem(out);
        }
        if (parser.ended) break;
      }
    } catch (err) {
      throw abortReason(ac) ?? new IsapiError('SW_EDGE_CAMERA_UNREACHABLE', `${this.where()}: ${causeText(err)}`, { cause: err });
    } finally {
      clearTimeout(this.stallTimer);
      ac.abort();
    }
    if (this.closed) return;
  }

  private armStall(ac: AbortController): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(
      () => ac.abort(new IsapiError('SW_EDGE_ISAPI_STALLED', `${this.where()}: no byte for ${this.config.stallTimeoutMs} ms`)),
      this.config.stallTimeoutMs,
    );
    this.stallTimer.unref();
  }
}

function abortReason(ac: AbortController): IsapiError | undefined {
  return ac.signal.aborted && ac.signal.reason instanceof IsapiError ? ac.signal.reason : undefined;
}

function causeText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
