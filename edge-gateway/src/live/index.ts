export { LiveConfigSchema, resolveLiveToken, type LiveConfig } from './config.js';
export { liveMetrics, type LiveMetrics } from './metrics.js';
export { packetStartsGop, TsChunker, TS_PACKET } from './mpegts.js';
export { LiveStreams, type LiveInput, type LiveStreamEvents } from './streams.js';
export { liveFfmpegArgs, LiveTranscoder, processCpuTicks } from './transcoder.js';
export { LiveUplink, type LiveUplinkDeps } from './uplink.js';
