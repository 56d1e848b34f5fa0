/**
 * CPU per detector frame by TF.js backend and execution, in the same run, on the same real frames
 * (vtest.avi, the busy walkway, at the gateway's default analytic size 640x480):
 *   wasm (op by op, the baseline), tensorflow op by op, tensorflow graph (SavedModel) with 1 and
 *   with 2 intra-op threads, and with TensorFlow's Eigen kernels instead of oneDNN's.
 * Each variant runs in its own child process (TF.js backends and libtensorflow's thread pools are
 * process-wide), in rounds A B C D A B C D ... so drift in the shared machine's load hits them
 * alike; CPU is the process's own (user + system, all threads) per frame, which the other
 * engineers' load changes far less than wall time. Reported: median over rounds.
 *
 *   npx tsc -b && npx tsx bench/edge/backends.ts    (repo root; needs build-tfjs-node.sh and
 *   convert-savedmodel.sh to have run: npm test runs both; ~2 min)
 *
 * Writes bench/results/edge-backends.json. No assertions: numbers only.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SELF = fileURLToPath(import.meta.url);
const OUT = join(REPO, 'bench/results/edge-backends.json');
const WIDTH = 640;
const HEIGHT = 480;
const FRAMES = 8;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Variant {
  name: string;
  backend: 'wasm' | 'tensorflow';
  execution: 'ops' | 'graph';
  threads: number;
  oneDnn: boolean;
}
const VARIANTS: Variant[] = [
  { name: 'wasm', backend: 'wasm', execution: 'ops', threads: 1, oneDnn: false },
  { name: 'tensorflow.ops', backend: 'tensorflow', execution: 'ops', threads: 1, oneDnn: true },
  { name: 'tensorflow.graph', backend: 'tensorflow', execution: 'graph', threads: 1, oneDnn: true },
  { name: 'tensorflow.graph.2threads', backend: 'tensorflow', execution: 'graph', threads: 2, oneDnn: true },
  { name: 'tensorflow.graph.eigen', backend: 'tensorflow', execution: 'graph', threads: 1, oneDnn: false },
];

interface ChildResult {
  variant: string;
  backend: unknown;
  cpuMsPerFrame: number;
  wallMsPerFrame: number;
  detections: number;
}

/** Real frames: vtest.avi at 1 fps from 5 s, scaled to the analytic size, rgb24 (ffmpeg). */
function frames(): Buffer[] {
  const video = join(process.env.STREETWATCH_VIDEO_DIR ?? join(process.env.HOME ?? '', '.cache/streetwatch/opencv-doc/data'), 'vtest.avi');
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-ss', '5', '-i', video, '-vf', `fps=1,scale=${WIDTH}:${HEIGHT}`, '-frames:v', String(FRAMES), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 1 << 28,
  });
  const size = WIDTH * HEIGHT * 3;
  return Array.from({ length: Math.floor(raw.length / size) }, (_, i) => raw.subarray(i * size, (i + 1) * size));
}

async function child(v: Variant): Promise<void> {
  const { createDetector, DetectorConfigSchema } = await import('@streetwatch/edge-gateway');
  const { parseConfig } = await import('@streetwatch/platform');
  const modelDir = execFileSync('bash', [join(REPO, 'edge-gateway/scripts/fetch-model.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').at(-1)!;
  const config = parseConfig(DetectorConfigSchema, { modelDir, backend: v.backend, execution: v.execution, nativeThreads: v.threads, nativeOneDnn: v.oneDnn, workers: 0 }, 'bench');
  const detector = createDetector(config);
  await detector.load();
  const fs = frames();
  const frame = (i: number) => ({ cameraId: 'bench', seq: i, width: WIDTH, height: HEIGHT, eventTime: new Date(), data: fs[i % fs.length]! });
  for (let i = 0; i < 2; i++) await detector.detect(frame(i));
  let detections = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < fs.length; i++) detections += (await detector.detect(frame(i))).length;
  const c = process.cpuUsage(c0);
  const r: ChildResult = {
    variant: v.name,
    backend: detector.backend,
    cpuMsPerFrame: (c.user + c.system) / 1000 / fs.length,
    wallMsPerFrame: (performance.now() - t0) / fs.length,
    detections,
  };
  await detector.close();
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

function runChild(v: Variant): Promise<ChildResult> {
  return new Promise((res, rej) => {
    const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(v.threads), TF_NUM_INTEROP_THREADS: '1', TF_ENABLE_ONEDNN_OPTS: v.oneDnn ? '1' : '0', TF_CPP_MIN_LOG_LEVEL: '2' };
    const p = spawn(process.execPath, [...process.execArgv, SELF, '--child', v.name], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', rej);
    p.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return rej(new Error(`${v.name}: child exited ${code}: ${out.slice(-500)}`));
      res(JSON.parse(line.slice(7)) as ChildResult);
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

if (process.argv.includes('--child')) {
  const name = process.argv[process.argv.indexOf('--child') + 1];
  const v = VARIANTS.find((x) => x.name === name);
  if (!v) throw new Error(`no variant ${name}`);
  await child(v);
} else {
  const load0 = loadavg();
  const runs: Record<string, ChildResult[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of VARIANTS) {
      const res = await runChild(v);
      (runs[v.name] ??= []).push(res);
      console.log(`round ${r + 1} ${v.name}: cpu ${res.cpuMsPerFrame.toFixed(1)} ms/frame, wall ${res.wallMsPerFrame.toFixed(1)} ms/frame, load ${loadavg()[0]!.toFixed(1)}`);
    }
  }
  const round1 = (x: number) => Math.round(x * 10) / 10;
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => [
      name,
      {
        backend: rs[0]!.backend,
        cpuMsPerFrame: round1(median(rs.map((x) => x.cpuMsPerFrame))),
        cpuMsPerFrameAll: rs.map((x) => round1(x.cpuMsPerFrame)),
        wallMsPerFrame: round1(median(rs.map((x) => x.wallMsPerFrame))),
        detectionsPerFrame: round1(rs[0]!.detections / FRAMES),
      },
    ]),
  );
  const base = summary.wasm!.cpuMsPerFrame;
  const result = {
    bench: 'edge/backends',
    when: new Date().toISOString(),
    machine: { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    loadAverage: { before: load0.map((x) => +x.toFixed(2)), after: loadavg().map((x) => +x.toFixed(2)) },
    frames: { video: 'vtest.avi (busy walkway), 1 fps from 5 s', size: `${WIDTH}x${HEIGHT}`, count: FRAMES, rounds: ROUNDS },
    variants: summary,
    cpuRatioVsWasm: Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, +(v.cpuMsPerFrame / base).toFixed(2)])),
    physicalLimitMsPerFrame: 20,
    note: 'CPU per frame = the whole process (every thread) per detect(): preprocessing (resize to 512x512) + model + decoding boxes. The shared machine inflates both CPU (cache, SMT) and wall (run queue): see loadAverage. Ratios within one run are the robust part.',
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}
