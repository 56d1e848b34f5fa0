/**
 * The box's live link: one WebSocket OUTBOUND to the alert router (`live.routerUrl`), so the
 * live view works where nothing can reach the box (NAT, 4G, a firewall that allows only
 * outbound HTTPS). Authenticated as this gateway: `Authorization: Bearer <live token>` and
 * `X-Streetwatch-Gateway: <gatewayId>`; the router checks both against `live.gateways`.
 *
 * Protocol (schemas/src/live.ts): the box says `hello` (its cameras, its limit); the router says
 * how many people `watch` each camera; the box answers with the stream's `state` and sends the
 * video as binary chunks. One stream per camera goes up, however many people watch: the router
 * fans it out. When the uplink cannot keep up (`bufferedAmount` past `maxBufferedBytes`) the box
 * skips video up to the next picture group rather than queueing without bound.
 *
 * The link reconnects by itself (backoff with jitter); while it is down nobody can watch, and
 * running streams stop after their idle time.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { Backoff, type Logger, type Registry } from '@streetwatch/platform';
import { encodeLiveChunk, LIVE_SUBPROTOCOL, parseLiveFromRouter, type LiveFromGateway, type LiveStreamState } from '@streetwatch/schemas';
import type { LiveConfig } from './config.js';
import { liveMetrics, type LiveMetrics } from './metrics.js';
import { LiveStreams, type LiveInput } from './streams.js';

export interface LiveUplinkDeps {
  readonly log: Logger;
  readonly registry: Registry;
  readonly ffmpegPath?: string;
}

const PING_MS = 15_000;

export class LiveUplink {
  readonly streams: LiveStreams;
  private readonly log: Logger;
  private readonly metrics: LiveMetrics;
  private readonly backoff: Backoff;
  private readonly skipping = new Set<string>();
  private readonly token: string;
  private ws: WebSocket | undefined;
  private retry: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private open = false;
  private refusedLogged = false;

  constructor(
    private readonly cfg: LiveConfig,
    private readonly gatewayId: string,
    cameras: ReadonlyMap<string, LiveInput>,
    deps: LiveUplinkDeps,
  ) {
    if (cfg.token === undefined) throw new TypeError('live.token not resolved: load the config with loadGatewayConfig/parseGatewayConfig');
    this.token = cfg.token;
    this.log = deps.log.child({ component: 'live-uplink' });
    this.metrics = liveMetrics(deps.registry);
    this.backoff = new Backoff({ initialMs: cfg.reconnectInitialMs, maxMs: cfg.reconnectMaxMs, jitter: 0.2 });
    this.streams = new LiveStreams(cfg, cameras, { log: this.log, metrics: this.metrics, ...(deps.ffmpegPath !== undefined && { ffmpegPath: deps.ffmpegPath }) }, {
      onChunk: (id, chunk, key) => this.sendChunk(id, chunk, key),
      onState: (id, state, code, message) => this.sendState(id, state, code, message),
    });
  }

  /** True while the link to the router is open. */
  get connected(): boolean {
    return this.open;
  }

  start(): void {
    if (this.closing || this.ws) return;
    this.connect();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.retry);
      clearInterval(this.ping);
      await this.streams.close();
      const ws = this.ws;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          const hard = setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2000);
          ws.once('close', () => {
            clearTimeout(hard);
            resolve();
          });
          ws.close(1001, 'gateway stopping');
        });
      }
      this.metrics.connected.set(0);
    })();
    return this.closing;
  }

  private connect(): void {
    const ca = this.cfg.caFile === undefined ? undefined : readFileSync(this.cfg.caFile);
    const ws = new WebSocket(this.cfg.routerUrl, LIVE_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${this.token}`, 'x-streetwatch-gateway': this.gatewayId },
      handshakeTimeout: 10_000,
      perMessageDeflate: false, // MPEG-1 does not compress; deflate would only cost CPU
      ...(ca !== undefined && { ca }),
    });
    this.ws = ws;
    let alive = true;
    ws.on('open', () => {
      this.open = true;
      this.refusedLogged = false;
      this.backoff.reset();
      this.metrics.connected.set(1);
      this.log.info({ url: this.cfg.routerUrl }, 'live link to the router open');
      this.send({ type: 'hello', gatewayId: this.gatewayId, cameras: this.streams.cameraIds, maxStreams: this.cfg.maxStreams });
      this.ping = setInterval(() => {
        if (!alive) {
          this.log.warn('live link: no pong from the router: reconnecting');
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, PING_MS);
      this.ping.unref();
    });
    ws.on('pong', () => {
      alive = true;
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return; // the router sends no video to a box
      const m = parseLiveFromRouter(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
      if (!m.ok) {
        this.log.warn({ problem: m.problem }, 'live link: invalid message from the router: ignored');
        return;
      }
      this.streams.watch(m.value.cameraId, m.value.viewers);
    });
    ws.on('unexpected-response', (_req, res) => {
      const level = this.refusedLogged ? 'debug' : 'error';
      this.refusedLogged = true;
      this.log[level]({ status: res.statusCode }, res.statusCode === 401 || res.statusCode === 403 ? 'the router refused this gateway’s live token (live.tokenFile / tokenEnv)' : 'the router refused the live link');
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => this.log.debug({ err: { message: err.message } }, 'live link error'));
    ws.on('close', () => {
      clearInterval(this.ping);
      const was = this.open;
      this.open = false;
      this.ws = undefined;
      this.metrics.connected.set(0);
      this.skipping.clear();
      this.streams.unwatchAll();
      if (this.closing) return;
      const delay = this.backoff.next();
      if (was) this.log.warn({ retryInMs: delay }, 'live link to the router closed: reconnecting');
      this.retry = setTimeout(() => this.connect(), delay);
      this.retry.unref();
    });
  }

  private send(m: LiveFromGateway): void {
    if (this.open && this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  private sendState(cameraId: string, state: LiveStreamState, code?: string, message?: string): void {
    this.send({ type: 'state', cameraId, state, ...(code !== undefined && { code }), ...(message !== undefined && { message: message.slice(0, 500) }) });
  }

  private sendChunk(cameraId: string, chunk: Buffer, key: boolean): void {
    const ws = this.ws;
    if (!this.open || ws?.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.cfg.maxBufferedBytes) {
      if (!this.skipping.has(cameraId)) this.log.warn({ cameraId, buffered: ws.bufferedAmount }, 'live uplink cannot keep up: skipping to the next picture group');
      this.skipping.add(cameraId);
    }
    if (this.skipping.has(cameraId)) {
      if (!key || ws.bufferedAmount > this.cfg.maxBufferedBytes) {
        this.metrics.bytesSkipped.inc({ camera: cameraId }, chunk.length);
        return;
      }
      this.skipping.delete(cameraId);
    }
    ws.send(encodeLiveChunk(cameraId, chunk, key), { binary: true });
    this.metrics.bytesSent.inc({ camera: cameraId }, chunk.length);
  }
}
