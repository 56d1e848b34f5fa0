/**
 * What a live view costs the box, measured: the live transcode (edge-gateway/src/live) of one
 * real RTSP camera (testkit: the vtest walkway, main stream 768x576 H.264, pre-encoded so the
 * camera costs this box nothing) at a few sizes: its bit rate (the uplink per watched camera) and
 * its CPU (utime + stime of ffmpeg from /proc), with the baseline in the same run: the analytic
 * decode the box already runs for that camera (2 fps, 640x480 rgb24), as a ratio.
 *
 *   npx tsc -b && nice -n 10 npx tsx bench/edge/live.ts      (repo root; ~2 min)
 *   BENCH_LIVE_WINDOW_MS=20000 BENCH_LIVE_WARMUP_MS=5000
 *
 * Writes bench/results/edge-live.json. On a shared machine CPU seconds per second are inflated
 * a little by contention; the bit rate is not.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createFrameSource, parseCameraConfig, processCpuTicks } from '@streetwatch/edge-gateway';
import { LiveConfigSchema, LiveStreams, liveMetrics, type LiveConfig } from '@streetwatch/edge-gateway/live';
import { startRtspCamera } from '../../edge-gateway/testkit/rtsp-camera.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(REPO, 'bench/results/edge-live.json');
const VIDEO = join(process.env.STREETWATCH_VIDEO_DIR ?? join(process.env.HOME ?? '', '.cache/streetwatch/opencv-doc/data'), 'vtest.avi');
const WARMUP_MS = Number(process.env.BENCH_LIVE_WARMUP_MS ?? 5000);
const WINDOW_MS = Number(process.env.BENCH_LIVE_WINDOW_MS ?? 20_000);
const SETTINGS: Array<Pick<LiveConfig, 'width' | 'fps' | 'bitrateKbps'>> = [
  { width: 640, fps: 10, bitrateKbps: 500 },
  { width: 480, fps: 10, bitrateKbps: 350 },
  { width: 640, fps: 25, bitrateKbps: 1000 },
];
const log = pino({ level: 'silent' });
const teardown: Array<() => unknown> = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * CPU seconds of our ffmpeg children so far: the live ones from /proc/<pid>/stat, plus every
 * child already reaped (cutime + cstime of this process), so a restart inside a window is counted.
 */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  const reaped = Number(f[13]) + Number(f[14]);
  return (reaped + ffmpegPids().reduce((s, p) => s + (processCpuTicks(p) ?? 0), 0)) / 100;
}
/** Our ffmpeg children (Linux /proc: comm ffmpeg, parent this process). */
function ffmpegPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.includes('(ffmpeg)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function main(): Promise<void> {
  const camera = await startRtspCamera({ teardown: (fn) => teardown.push(fn) }, { video: VIDEO, passthrough: true });
  const url = camera.url('main');
  const results: Record<string, unknown>[] = [];

  // Baseline: the analytic decode of the same camera (what the box runs for it anyway).
  const src = createFrameSource(parseCameraConfig({ id: 'base', source: { type: 'rtsp', url }, analytic: { fps: 2, width: 640, height: 480 } }), { log, onFrame: () => undefined });
  src.start();
  await sleep(WARMUP_MS);
  let c0 = childCpu();
  const frames0 = src.status().frames;
  await sleep(WINDOW_MS);
  const baseCpuPerS = (childCpu() - c0) / (WINDOW_MS / 1000);
  const baseFps = (src.status().frames - frames0) / (WINDOW_MS / 1000);
  await src.close();

  for (const s of SETTINGS) {
    const cfg = { ...(Value.Default(LiveConfigSchema, { routerUrl: 'ws://unused' }) as LiveConfig), ...s, maxStreams: 1 };
    let bytes = 0;
    let counting = false;
    const streams = new LiveStreams(cfg, new Map([['cam', () => ({ kind: 'rtsp' as const, url, ioTimeoutMs: 10_000 })]]), { log, metrics: liveMetrics(new Registry()) }, {
      onChunk: (_id, chunk) => {
        if (counting) bytes += chunk.length;
      },
      onState: () => undefined,
    });
    streams.watch('cam', 1);
    await sleep(WARMUP_MS);
    c0 = childCpu();
    counting = true;
    const load = loadavg()[0];
    await sleep(WINDOW_MS);
    counting = false;
    const cpuPerS = (childCpu() - c0) / (WINDOW_MS / 1000);
    await streams.close();
    const r = {
      ...s,
      measuredKbps: Math.round((bytes * 8) / (WINDOW_MS / 1000) / 1000),
      cpuCoresPerStream: Math.round(cpuPerS * 1000) / 1000,
      vsAnalyticDecode: Math.round((cpuPerS / baseCpuPerS) * 100) / 100,
      loadAverage1m: Math.round((load ?? 0) * 10) / 10,
    };
    results.push(r);
    console.log(JSON.stringify(r));
  }
  const out = {
    measuredAt: new Date().toISOString(),
    input: 'testkit RTSP camera, main stream 768x576 H.264 (vtest walkway), passthrough',
    windowMs: WINDOW_MS,
    baseline: { what: 'analytic decode of the same camera, 2 fps 640x480 rgb24', cpuCores: Math.round(baseCpuPerS * 1000) / 1000, framesPerSecond: Math.round(baseFps * 100) / 100 },
    live: results,
  };
  writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`written ${OUT}`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const fn of teardown.reverse()) await fn();
  });
