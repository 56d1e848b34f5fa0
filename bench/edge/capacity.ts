/**
 * Cameras per box, measured: N real RTSP cameras (edge-gateway/testkit: gst-rtsp-server serving the
 * busy vtest walkway on its sub-stream, pre-encoded, so the cameras cost this box next to nothing,
 * as real cameras do) and ONE gateway with the default config (only the backend pinned: the
 * native one, then wasm as the baseline, in the same run). N rises until a camera falls behind.
 *
 * A camera keeps up when, over a steady window after a warm-up, the detector ran on at least 90 %
 * of its analytic fps (busy street: the motion gate passes every frame) and its detector lag (wait
 * in the shared queue + inference, mean per analysed frame) stays under 1 s. The largest N where
 * every camera keeps up is `camerasPerBox.measured.<backend>.fps<1|2>.busyStreet` in
 * bench/results/edge.json (the rest of that file is kept). Also recorded per step: CPU per
 * analysed frame (the gateway process, all threads, + its ffmpeg decoders), load average.
 *
 *   npx tsc -b && npx tsx bench/edge/capacity.ts     (repo root; ~15 min; Kafka from
 *   STREETWATCH_KAFKA_BROKERS when set, else none: events wait in the outbox, as on an uplink outage)
 *   BENCH_CAPACITY_BACKENDS=tensorflow,wasm  BENCH_CAPACITY_FPS=1,2  BENCH_CAPACITY_WINDOW_MS=20000
 *
 * On a shared machine other work takes CPU from the gateway: N measured here is a lower bound
 * for an idle box; CPU per analysed frame is the load-robust number (see loadAverage per step).
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Gateway, parseGatewayConfig } from '@streetwatch/edge-gateway';
import { startRtspCamera, type RtspCamera } from '../../edge-gateway/testkit/rtsp-camera.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(REPO, 'bench/results/edge.json');
const VIDEO = join(process.env.STREETWATCH_VIDEO_DIR ?? join(process.env.HOME ?? '', '.cache/streetwatch/opencv-doc/data'), 'vtest.avi');
const BACKENDS = (process.env.BENCH_CAPACITY_BACKENDS ?? 'tensorflow,wasm').split(',') as ('tensorflow' | 'wasm')[];
const FPS = (process.env.BENCH_CAPACITY_FPS ?? '1,2').split(',').map(Number);
const WARMUP_MS = Number(process.env.BENCH_CAPACITY_WARMUP_MS ?? 10_000);
const WINDOW_MS = Number(process.env.BENCH_CAPACITY_WINDOW_MS ?? 20_000);
const KEEP_UP = 0.9;
const MAX_LAG_MS = 1000;
/** Camera counts tried, per backend and fps, in order; the ramp stops at the first that fails. */
const RAMPS: Record<string, number[]> = {
  'tensorflow.1': [2, 4, 8, 12, 16, 20, 24],
  'tensorflow.2': [1, 2, 4, 6, 8, 10, 12],
  'wasm.1': [1, 2, 3, 4, 5, 6, 8, 10, 12],
  'wasm.2': [1, 2, 3, 4],
};
const MAX_CAMERAS = Math.max(...Object.values(RAMPS).flat());
const log = pino({ level: 'silent' });
const teardown: (() => unknown)[] = [];

/** utime + stime (ms) of this process's ffmpeg children, from /proc. */
function ffmpegCpuMs(): number {
  let ms = 0;
  const tick = 10;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (comm !== 'ffmpeg' || Number(f[1]) !== process.pid) continue;
      ms += (Number(f[11]) + Number(f[12])) * tick;
    } catch {
      // exited meanwhile
    }
  }
  return ms;
}

interface Snapshot {
  at: number;
  cpuMs: number;
  ffmpegMs: number;
  cams: { runs: number; frames: number; waitMs: number; detectMs: number }[];
}

function snapshot(gw: Gateway): Snapshot {
  const c = process.cpuUsage();
  return {
    at: performance.now(),
    cpuMs: (c.user + c.system) / 1000,
    ffmpegMs: ffmpegCpuMs(),
    cams: gw.status().cameras.map((s) => ({ runs: s.pipeline.detectorRuns, frames: s.pipeline.frames, waitMs: s.pipeline.stageMs.detect_wait, detectMs: s.pipeline.stageMs.detect })),
  };
}

async function step(cameras: RtspCamera[], backend: 'tensorflow' | 'wasm', fps: number, n: number, modelDir: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-capacity-'));
  const brokers = process.env.STREETWATCH_KAFKA_BROKERS?.split(',') ?? ['127.0.0.1:9'];
  const config = parseGatewayConfig({
    gatewayId: 'bench-capacity',
    http: { host: '127.0.0.1', port: 0 },
    kafka: { brokers },
    outbox: { path: join(dir, 'outbox.db') },
    evidence: {},
    detector: { modelDir, backend },
    cameras: cameras.slice(0, n).map((c, i) => ({
      id: `cam-${String(i + 1).padStart(2, '0')}`,
      source: { type: 'rtsp', url: c.url('sub', null), username: c.user, password: c.password },
      analytic: { fps },
      // a walkway watched for vendors: the rules and evidence run as they would
      zones: [{ id: 'V1', type: 'street_vendor', polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]] }],
    })),
  });
  const gw = new Gateway(config, { log, registry: new Registry() });
  const load0 = loadavg()[0]!;
  try {
    await gw.start();
    const backendInfo = gw.status().detectorBackend;
    // every camera delivering, then the warm-up
    const deadline = Date.now() + 60_000;
    while (gw.status().cameras.some((c) => c.pipeline.frames < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const a = snapshot(gw);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const b = snapshot(gw);
    const secs = (b.at - a.at) / 1000;
    const per = b.cams.map((x, i) => {
      const y = a.cams[i]!;
      const runs = x.runs - y.runs;
      return { analysedFps: runs / secs, framesFps: (x.frames - y.frames) / secs, lagMs: runs > 0 ? (x.waitMs - y.waitMs + x.detectMs - y.detectMs) / runs : Infinity };
    });
    const runs = b.cams.reduce((s, x, i) => s + x.runs - a.cams[i]!.runs, 0);
    const minFps = Math.min(...per.map((p) => p.analysedFps));
    const maxLag = Math.max(...per.map((p) => p.lagMs));
    const ok = minFps >= KEEP_UP * fps && maxLag < MAX_LAG_MS;
    const row = {
      backend,
      fps,
      cameras: n,
      keepsUp: ok,
      analysedFpsPerCamera: { min: +minFps.toFixed(2), mean: +(per.reduce((s, p) => s + p.analysedFps, 0) / n).toFixed(2) },
      detectorLagMs: { max: Math.round(maxLag), mean: Math.round(per.reduce((s, p) => s + p.lagMs, 0) / n) },
      detectorRunsPerSecond: +(runs / secs).toFixed(2),
      cpuMsPerAnalysedFrame: {
        gatewayProcess: +((b.cpuMs - a.cpuMs) / Math.max(1, runs)).toFixed(1),
        ffmpeg: +((b.ffmpegMs - a.ffmpegMs) / Math.max(1, runs)).toFixed(1),
      },
      ffmpegCpuMsPerCameraSecond: +((b.ffmpegMs - a.ffmpegMs) / n / secs).toFixed(1),
      cpuCoresUsed: +((b.cpuMs - a.cpuMs + b.ffmpegMs - a.ffmpegMs) / 1000 / secs).toFixed(2),
      loadAverage1m: { before: +load0.toFixed(2), after: +loadavg()[0]!.toFixed(2) },
      backendInfo,
    };
    console.log(JSON.stringify(row));
    return row;
  } finally {
    await gw.close(5000);
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const modelDir = execFileSync('bash', [join(REPO, 'edge-gateway/scripts/fetch-model.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').at(-1)!;
  const t = { teardown: (fn: () => unknown) => teardown.push(fn) };
  // The first camera encodes the cached pass-through copy; the others start from it.
  const cameras: RtspCamera[] = [await startRtspCamera(t, { video: VIDEO, passthrough: true, readyTimeoutMs: 600_000 })];
  cameras.push(...(await Promise.all(Array.from({ length: MAX_CAMERAS - 1 }, () => startRtspCamera(t, { video: VIDEO, passthrough: true, readyTimeoutMs: 120_000 })))));
  console.log(`${cameras.length} RTSP cameras up (pass-through sub-streams of ${VIDEO})`);

  const steps: Awaited<ReturnType<typeof step>>[] = [];
  const measured: Record<string, Record<string, { busyStreet: number }>> = {};
  const projected: Record<string, Record<string, { busyStreet: number; cpuMsPerAnalysedFrame: number; ffmpegCpuMsPerCameraSecond: number }>> = {};
  for (const fps of FPS) {
    for (const backend of BACKENDS) {
      let best = 0;
      for (const n of RAMPS[`${backend}.${fps}`] ?? []) {
        const row = await step(cameras, backend, fps, n, modelDir);
        steps.push(row);
        if (!row.keepsUp) break;
        best = n;
      }
      (measured[backend] ??= {})[`fps${fps}`] = { busyStreet: best };
      // The arithmetic for a box nobody else uses: its cores over the CPU one camera costs at this
      // fps (gateway process per analysed frame x fps + its ffmpeg decoder per second), from the
      // ramp's steps (median).
      const mine = steps.filter((r) => r.backend === backend && r.fps === fps);
      const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
      const perFrame = med(mine.map((r) => r.cpuMsPerAnalysedFrame.gatewayProcess));
      const decode = med(mine.map((r) => r.ffmpegCpuMsPerCameraSecond));
      (projected[backend] ??= {})[`fps${fps}`] = {
        busyStreet: Math.floor((cpus().length * 1000) / (fps * perFrame + decode)),
        cpuMsPerAnalysedFrame: perFrame,
        ffmpegCpuMsPerCameraSecond: decode,
      };
      console.log(`${backend} at ${fps} fps: ${best} cameras keep up here; ${projected[backend]![`fps${fps}`]!.busyStreet} by CPU on an idle box`);
    }
  }

  // A run may cover only some backends or frame rates (BENCH_CAPACITY_*): its rows replace those
  // rows and keep the others, each row's own run (time, load, steps) recorded under runs.<backend>.fps<N>.
  const prev = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as Record<string, unknown>) : {};
  const cpb = (prev.camerasPerBox ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
  const merge = <T,>(old: Record<string, Record<string, unknown>> | undefined, add: Record<string, Record<string, T>>) => {
    const outRows: Record<string, Record<string, unknown>> = { ...(old ?? {}) };
    for (const [b, rows] of Object.entries(add)) outRows[b] = { ...(outRows[b] ?? {}), ...rows };
    return outRows;
  };
  const when = new Date().toISOString();
  const runs: Record<string, Record<string, unknown>> = {};
  for (const fps of FPS) {
    for (const backend of BACKENDS) {
      (runs[backend] ??= {})[`fps${fps}`] = { when, loadAverage1mMax: Math.max(...steps.filter((r) => r.backend === backend && r.fps === fps).map((r) => r.loadAverage1m.after)) };
    }
  }
  const { how: _how, ...prevProjected } = (cpb.projectedFromCpu ?? {}) as Record<string, Record<string, unknown>>;
  const prevRun = (cpb.measuredRun ?? {}) as { steps?: typeof steps };
  const keptSteps = (prevRun.steps ?? []).filter((r) => !(BACKENDS.includes(r.backend) && FPS.includes(r.fps)));
  const out = {
    ...prev,
    camerasPerBox: {
      ...cpb,
      measured: merge(cpb.measured, measured),
      runs: merge(cpb.runs as Record<string, Record<string, unknown>> | undefined, runs),
      projectedFromCpu: {
        ...merge(prevProjected, projected),
        how: 'floor(cores x 1000 / (fps x gateway CPU ms per analysed frame + ffmpeg CPU ms per camera-second)), medians over the ramp; CPU per frame measured under the load recorded per step (contention inflates it: a quiet box does better)',
      },
      measuredRun: {
        bench: 'edge/capacity',
        when,
        machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
        criterion: `every camera: detector ran at >= ${KEEP_UP} x its analytic fps and its detector lag (queue wait + inference, mean per analysed frame) < ${MAX_LAG_MS} ms, over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up`,
        cameras: 'gst-rtsp-server (edge-gateway/testkit), vtest.avi busy walkway, sub-stream 384x288 H.264 10 fps pre-encoded (pass-through: no encoding on this box)',
        gateway: 'default config (detector workers: one per core, nativeThreads 1, inter-op threads = workers, execution auto, detector queue one frame per camera; analytic 640x480), backend pinned per row',
        steps: [...keptSteps, ...steps],
        note: 'The machine is shared with other engineers: loadAverage1m per step shows how much CPU others took (on 2 cores, a load of L leaves this gateway roughly 2/L of the box when L > 2). N here is a lower bound for an idle box; cpuMsPerAnalysedFrame is the load-robust figure (cores / that = analysed frames per second an idle box sustains).',
      },
    },
  };
  writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out.camerasPerBox.measured));
} finally {
  for (const fn of teardown.reverse()) await fn();
}
