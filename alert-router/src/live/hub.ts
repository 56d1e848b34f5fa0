/**
 * The relay: edge gateways' live links in, viewers' WebSockets out. One stream per camera comes
 * up from its box however many people watch; the hub fans each chunk out to the camera's viewers
 * and tells the box how many watch (`watch` messages: the box starts the transcode for the
 * first viewer and stops it after its idle time once the count is 0).
 *
 *  - A viewer who joins a running stream is first sent the current picture group (kept up to
 *    `gopCacheBytes`), so it shows a picture at once.
 *  - A viewer whose connection holds more than `viewerBufferBytes` (a slow phone) is skipped to
 *    the next picture group rather than queued without bound; the others are not held back.
 *  - A box may stream only the cameras configured for it (`live.cameras[].gateway`).
 *  - A box that refuses (its limit), fails (camera, ffmpeg) or disconnects closes its viewers
 *    with a WebSocket close code and the error code as the reason, which the console shows.
 *
 * Sockets are a small interface (the `ws` WebSocket satisfies it), so the hub is tested without
 * a network.
 */
import type { Logger, Registry } from '@streetwatch/platform';
import { decodeLiveChunk, parseLiveFromGateway, type LiveFromRouter } from '@streetwatch/schemas';
import { Counter, Gauge } from 'prom-client';
import type { WorkOrderErrorCode } from '../workorders/errors.js';
import type { LiveCameraConfig, LiveConfig } from './config.js';

export interface LiveSocket {
  send(data: Buffer | string): void;
  close(code?: number, reason?: string): void;
  readonly bufferedAmount: number;
}

/** WebSocket close codes a viewer gets (4000-4999 are the application's), by error code. */
export const CLOSE_CODES: Partial<Record<WorkOrderErrorCode, number>> = {
  SW_ROUTER_LIVE_TICKET_INVALID: 4401,
  SW_ROUTER_LIVE_TICKET_CAMERA: 4403,
  SW_ROUTER_LIVE_CAMERA_NOT_FOUND: 4404,
  SW_ROUTER_LIVE_TICKET_EXPIRED: 4410,
  SW_ROUTER_LIVE_TICKET_USED: 4410,
  SW_ROUTER_LIVE_VIEWERS_LIMIT: 4429,
  SW_ROUTER_LIVE_BOX_LIMIT: 4429,
  SW_ROUTER_LIVE_STREAM_FAILED: 4502,
  SW_ROUTER_LIVE_GATEWAY_OFFLINE: 4503,
  SW_ROUTER_LIVE_DISABLED: 4503,
};

export function closeWith(socket: LiveSocket, code: WorkOrderErrorCode): void {
  socket.close(CLOSE_CODES[code] ?? 4500, code);
}

interface Viewer {
  readonly socket: LiveSocket;
  readonly userId: string;
  bytes: number;
  /** Skipping to the next picture group (fell behind, or joined without a cached group). */
  waitKey: boolean;
}

interface CameraState {
  readonly config: LiveCameraConfig;
  readonly viewers: Set<Viewer>;
  gop: Buffer[];
  gopBytes: number;
  /** The box reported streaming and chunks flow. */
  streaming: boolean;
}

interface GatewayLink {
  readonly gatewayId: string;
  readonly socket: LiveSocket;
  /** Cameras it announced that are configured for it. */
  cameras: Set<string>;
  hello: boolean;
}

export interface LiveHubDeps {
  readonly log: Logger;
  readonly registry: Registry;
}

export interface LiveCameraStatus {
  readonly id: string;
  readonly name?: string;
  readonly gatewayId: string;
  /** Its box is connected and announced it. */
  readonly online: boolean;
  readonly streaming: boolean;
  readonly viewers: number;
}

export class LiveHub {
  private readonly cameras = new Map<string, CameraState>();
  private readonly gateways = new Map<string, GatewayLink>();
  private readonly log: Logger;
  private readonly relayed: Counter<'camera'>;
  private readonly received: Counter<'camera'>;
  private readonly skipped: Counter<'camera'>;
  private readonly opens: Counter<'result'>;
  private readonly invalid: Counter<'kind'>;

  constructor(
    private readonly cfg: LiveConfig,
    deps: LiveHubDeps,
  ) {
    this.log = deps.log.child({ component: 'live-hub' });
    for (const c of cfg.cameras) this.cameras.set(c.id, { config: c, viewers: new Set(), gop: [], gopBytes: 0, streaming: false });
    const registers = [deps.registry];
    const hub = this;
    new Gauge({
      name: 'streetwatch_router_live_viewers',
      help: 'People watching a live camera through this router',
      registers,
      collect() {
        let n = 0;
        for (const c of hub.cameras.values()) n += c.viewers.size;
        this.set(n);
      },
    });
    new Gauge({
      name: 'streetwatch_router_live_streams_active',
      help: 'Live camera streams relayed now (one per watched camera)',
      registers,
      collect() {
        this.set([...hub.cameras.values()].filter((c) => c.streaming).length);
      },
    });
    new Gauge({
      name: 'streetwatch_router_live_gateways_connected',
      help: 'Edge gateways with an open live link to this router',
      registers,
      collect() {
        this.set(hub.gateways.size);
      },
    });
    this.relayed = new Counter({ name: 'streetwatch_router_live_bytes_relayed_total', help: 'Video bytes sent to viewers (egress: bit rate x viewers)', labelNames: ['camera'] as const, registers });
    this.received = new Counter({ name: 'streetwatch_router_live_bytes_received_total', help: 'Video bytes received from edge boxes (one stream per watched camera)', labelNames: ['camera'] as const, registers });
    this.skipped = new Counter({ name: 'streetwatch_router_live_bytes_skipped_total', help: 'Video bytes not sent to a slow viewer (skipped to the next picture group)', labelNames: ['camera'] as const, registers });
    this.opens = new Counter({ name: 'streetwatch_router_live_opens_total', help: 'Viewer WebSocket openings by result (ok or the refusal code)', labelNames: ['result'] as const, registers });
    this.invalid = new Counter({ name: 'streetwatch_router_live_invalid_messages_total', help: 'Messages from gateways that break the live contract (dropped)', labelNames: ['kind'] as const, registers });
  }

  camera(id: string): LiveCameraConfig | undefined {
    return this.cameras.get(id)?.config;
  }

  status(cameraId: string): LiveCameraStatus | undefined {
    const c = this.cameras.get(cameraId);
    if (!c) return undefined;
    const g = this.gateways.get(c.config.gateway);
    return {
      id: c.config.id,
      ...(c.config.name !== undefined && { name: c.config.name }),
      gatewayId: c.config.gateway,
      online: !!g?.cameras.has(cameraId),
      streaming: c.streaming,
      viewers: c.viewers.size,
    };
  }

  countOpen(result: string): void {
    this.opens.inc({ result });
  }

  // ---- gateways ---------------------------------------------------------------------------

  /** A gateway's authenticated link opened; returns what the transport calls on its frames. */
  attachGateway(gatewayId: string, socket: LiveSocket): { onText(text: string): void; onBinary(frame: Buffer): void; onClose(): void } {
    const old = this.gateways.get(gatewayId);
    if (old) {
      // Its viewers stay: the new link is told at its hello who is waiting.
      this.log.warn({ gatewayId }, 'a gateway connected again: its previous live link is replaced');
      this.detach(old, undefined);
      old.socket.close(4000, 'replaced by a newer connection');
    }
    const link: GatewayLink = { gatewayId, socket, cameras: new Set(), hello: false };
    this.gateways.set(gatewayId, link);
    this.log.info({ gatewayId }, 'gateway live link open');
    return {
      onText: (text) => this.onGatewayText(link, text),
      onBinary: (frame) => this.onGatewayChunk(link, frame),
      onClose: () => {
        if (this.gateways.get(gatewayId) !== link) return;
        this.detach(link, 'SW_ROUTER_LIVE_GATEWAY_OFFLINE');
        this.log.info({ gatewayId }, 'gateway live link closed');
      },
    };
  }

  private detach(link: GatewayLink, closeViewers: WorkOrderErrorCode | undefined): void {
    this.gateways.delete(link.gatewayId);
    for (const id of link.cameras) {
      const c = this.cameras.get(id);
      if (!c) continue;
      this.endStream(c, closeViewers);
    }
    link.cameras.clear();
  }

  private onGatewayText(link: GatewayLink, text: string): void {
    const m = parseLiveFromGateway(text);
    if (!m.ok) {
      this.invalid.inc({ kind: 'control' });
      this.log.warn({ gatewayId: link.gatewayId, problem: m.problem }, 'invalid live message from a gateway: dropped');
      return;
    }
    const msg = m.value;
    if (msg.type === 'hello') {
      if (msg.gatewayId !== link.gatewayId) {
        this.log.warn({ gatewayId: link.gatewayId, claimed: msg.gatewayId }, 'a gateway announced another gateway id: link closed');
        link.socket.close(4403, 'gateway id does not match its credential');
        return;
      }
      link.hello = true;
      link.cameras = new Set(msg.cameras.filter((id) => this.cameras.get(id)?.config.gateway === link.gatewayId));
      const foreign = msg.cameras.filter((id) => !link.cameras.has(id));
      if (foreign.length > 0) this.log.info({ gatewayId: link.gatewayId, cameras: foreign }, 'cameras of this gateway not in live.cameras (for it): not watchable');
      // After a reconnect: tell the box who is waiting.
      for (const id of link.cameras) {
        const c = this.cameras.get(id) as CameraState;
        if (c.viewers.size > 0) this.sendWatch(link, id, c.viewers.size);
      }
      return;
    }
    const c = this.cameras.get(msg.cameraId);
    if (!c || !link.cameras.has(msg.cameraId)) {
      this.invalid.inc({ kind: 'foreign_camera' });
      return;
    }
    if (msg.state === 'streaming') c.streaming = true;
    else if (msg.state === 'stopped') this.endStream(c, undefined);
    else if (msg.state === 'refused') this.endStream(c, 'SW_ROUTER_LIVE_BOX_LIMIT');
    else if (msg.state === 'failed') {
      this.log.warn({ cameraId: msg.cameraId, code: msg.code, message: msg.message }, 'the box could not stream the camera');
      this.endStream(c, 'SW_ROUTER_LIVE_STREAM_FAILED');
    }
  }

  /** The stream of `c` ended: drop its cached group; with a reason, its viewers are closed with it. */
  private endStream(c: CameraState, reason: WorkOrderErrorCode | undefined): void {
    c.streaming = false;
    c.gop = [];
    c.gopBytes = 0;
    if (reason === undefined) return;
    for (const v of [...c.viewers]) closeWith(v.socket, reason);
  }

  private onGatewayChunk(link: GatewayLink, frame: Buffer): void {
    const m = decodeLiveChunk(frame);
    if (!m.ok || !link.cameras.has(m.value.cameraId)) {
      this.invalid.inc({ kind: m.ok ? 'foreign_camera' : 'chunk' });
      return;
    }
    const { cameraId, key, ts } = m.value;
    const c = this.cameras.get(cameraId) as CameraState;
    c.streaming = true;
    this.received.inc({ camera: cameraId }, ts.length);
    // Keep the current picture group for viewers who join now (bounded; past the bound, none until the next group).
    if (key) {
      c.gop = [];
      c.gopBytes = 0;
    }
    if (this.cfg.gopCacheBytes > 0 && (key || c.gop.length > 0) && c.gopBytes + ts.length <= this.cfg.gopCacheBytes) {
      const copy = Buffer.from(ts); // `ts` is a view into the frame
      c.gop.push(copy);
      c.gopBytes += copy.length;
    } else if (!key) {
      c.gop = [];
      c.gopBytes = 0;
    }
    for (const v of c.viewers) this.deliver(c, v, ts, key);
  }

  private deliver(c: CameraState, v: Viewer, ts: Buffer, key: boolean): void {
    if (v.socket.bufferedAmount > this.cfg.viewerBufferBytes) {
      if (!v.waitKey) this.log.info({ cameraId: c.config.id, userId: v.userId }, 'a viewer cannot keep up: skipping to the next picture group');
      v.waitKey = true;
    }
    if (v.waitKey && !key) {
      this.skipped.inc({ camera: c.config.id }, ts.length);
      return;
    }
    v.waitKey = false;
    v.socket.send(ts);
    v.bytes += ts.length;
    this.relayed.inc({ camera: c.config.id }, ts.length);
  }

  private sendWatch(link: GatewayLink, cameraId: string, viewers: number): void {
    const m: LiveFromRouter = { type: 'watch', cameraId, viewers };
    link.socket.send(JSON.stringify(m));
  }

  // ---- viewers ----------------------------------------------------------------------------

  /**
   * A viewer (ticket checked) opened `cameraId`; returns its close handler (bytes sent so far),
   * or a refusal code (the caller closes the socket with it).
   */
  addViewer(cameraId: string, socket: LiveSocket, userId: string): { ok: true; onClose(): number } | { ok: false; code: WorkOrderErrorCode } {
    const c = this.cameras.get(cameraId);
    if (!c) return { ok: false, code: 'SW_ROUTER_LIVE_CAMERA_NOT_FOUND' };
    const link = this.gateways.get(c.config.gateway);
    if (!link?.cameras.has(cameraId)) return { ok: false, code: 'SW_ROUTER_LIVE_GATEWAY_OFFLINE' };
    if (c.viewers.size >= this.cfg.maxViewersPerCamera) return { ok: false, code: 'SW_ROUTER_LIVE_VIEWERS_LIMIT' };
    // Joining a running stream with no cached group: wait for the next one (a decoder needs its start).
    const v: Viewer = { socket, userId, bytes: 0, waitKey: c.streaming && c.gop.length === 0 };
    c.viewers.add(v);
    // The current picture group first: a picture at once.
    if (c.streaming && c.gop.length > 0) {
      for (const b of c.gop) {
        socket.send(b);
        v.bytes += b.length;
        this.relayed.inc({ camera: cameraId }, b.length);
      }
    }
    this.sendWatch(link, cameraId, c.viewers.size);
    let gone = false;
    return {
      ok: true,
      onClose: () => {
        if (!gone) {
          gone = true;
          c.viewers.delete(v);
          const l = this.gateways.get(c.config.gateway);
          if (l?.cameras.has(cameraId)) this.sendWatch(l, cameraId, c.viewers.size);
        }
        return v.bytes;
      },
    };
  }

  /** Close every link (router stopping). */
  closeAll(): void {
    for (const c of this.cameras.values()) for (const v of [...c.viewers]) v.socket.close(1001, 'router stopping');
    for (const g of [...this.gateways.values()]) g.socket.close(1001, 'router stopping');
  }
}
