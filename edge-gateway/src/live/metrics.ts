/** Metrics of the live view on the gateway (one set per registry). */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface LiveMetrics {
  readonly active: Gauge;
  readonly cpuSeconds: Counter<'camera'>;
  readonly bytesSent: Counter<'camera'>;
  readonly bytesSkipped: Counter<'camera'>;
  readonly starts: Counter<'camera' | 'result'>;
  readonly connected: Gauge;
}

const byRegistry = new WeakMap<Registry, LiveMetrics>();

export function liveMetrics(registry: Registry): LiveMetrics {
  const had = byRegistry.get(registry);
  if (had) return had;
  const registers = [registry];
  const m: LiveMetrics = {
    active: new Gauge({ name: 'streetwatch_edge_live_streams_active', help: 'Live transcodes running (one per watched camera)', registers }),
    cpuSeconds: new Counter({
      name: 'streetwatch_edge_live_transcode_cpu_seconds_total',
      help: 'CPU seconds (user + system) of the live transcodes (ffmpeg), read from /proc',
      labelNames: ['camera'] as const,
      registers,
    }),
    bytesSent: new Counter({ name: 'streetwatch_edge_live_bytes_sent_total', help: 'MPEG-TS bytes sent up to the router', labelNames: ['camera'] as const, registers }),
    bytesSkipped: new Counter({
      name: 'streetwatch_edge_live_bytes_skipped_total',
      help: 'MPEG-TS bytes not sent because the uplink backlog was full (skipped to the next picture group)',
      labelNames: ['camera'] as const,
      registers,
    }),
    starts: new Counter({
      name: 'streetwatch_edge_live_starts_total',
      help: 'Live stream start requests by result (started, refused: the box limit, failed: camera or ffmpeg)',
      labelNames: ['camera', 'result'] as const,
      registers,
    }),
    connected: new Gauge({ name: 'streetwatch_edge_live_router_connected', help: '1 while the live link to the router is open', registers }),
  };
  byRegistry.set(registry, m);
  return m;
}
