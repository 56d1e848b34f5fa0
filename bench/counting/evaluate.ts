/**
 * Flow counting, evaluated and measured (issue 15): `npx tsc -b && npx tsx bench/counting/evaluate.ts`
 *
 * 1. vtest.avi through the real pipeline at 1, 2 and 5 analysed fps: people counted per direction
 *    and per minute against the hand count (examples/scenes/counting/vtest-walkway.json).
 * 2. CPU per analysed frame the counter adds: the detections of the 2 fps run are replayed through
 *    a fresh Tracker (the baseline, in the same run) and through Tracker + FlowCounter; CPU time
 *    (process.cpuUsage) of REPEAT replays each, divided by the frames.
 * Writes bench/results/edge-counting.json. Run it under `nice` on a shared box and note the load.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir, loadavg } from 'node:os';
import {
  createDetector,
  DetectorConfigSchema,
  DetectorQueue,
  FlowCounter,
  parseGatewayConfig,
  Tracker,
  TrackerConfigSchema,
  type Detection,
  type DetectorConfig,
  type Frame,
} from '@streetwatch/edge-gateway';
import { parseConfig } from '@streetwatch/platform';
import { execFileSync } from 'node:child_process';
import { countError, countVtest, loadTruth, REPO, truthByMinute, truthTotals } from './run.js';

const REPEAT = Number(process.env.BENCH_REPEAT ?? 200);
const FPS = (process.env.BENCH_FPS ?? '1,2,5').split(',').map(Number);

const modelDir = execFileSync('bash', [join(REPO, 'edge-gateway/scripts/fetch-model.sh'), 'centernet'], { encoding: 'utf8' }).trim().split('\n').pop() as string;
const videoDir = process.env.STREETWATCH_VIDEO_DIR ?? join(homedir(), '.cache/streetwatch/video');
const candidates = [join(videoDir, 'vtest.avi'), join(videoDir, 'usr/share/doc/opencv-doc/examples/data/vtest.avi')];
if (!candidates.some((p) => existsSync(p))) execFileSync('bash', [join(REPO, 'examples/scenes/fetch-video.sh'), videoDir], { stdio: ['ignore', 'ignore', 'inherit'] });
const vtest = candidates.find((p) => existsSync(p));
if (!vtest) throw new Error(`vtest.avi not found under ${videoDir} (examples/scenes/fetch-video.sh)`);

const detector = createDetector(parseConfig(DetectorConfigSchema, { modelDir, backend: 'auto', workers: 1 }, 'bench') as DetectorConfig, {});
await detector.load();
const queue = new DetectorQueue(detector);
/** Every detector result of a run, in order (for the CPU replay). */
const recorded: Array<{ t: Date; detections: readonly Detection[] }> = [];
const recording = {
  detect: async (frame: Frame) => {
    const r = await queue.detect(frame);
    recorded.push({ t: frame.eventTime, detections: r.detections });
    return r;
  },
  close: () => queue.close(),
} as unknown as DetectorQueue;

const truth = loadTruth();
const want = truthTotals(truth);
const wantByMinute = truthByMinute(truth);
const runs = [];
for (const fps of FPS) {
  if (fps === 2) recorded.length = 0;
  const r = await countVtest(vtest, fps, { detector: fps === 2 ? recording : queue, truth });
  const err = countError(r.people, want);
  const minutes = [...wantByMinute].map(([m, w]) => ({ minute: m, truth: w, counted: r.byMinute.get(m) ?? { in: 0, out: 0 } }));
  runs.push({ fps, people: r.people, truth: want, error: err, minutes, frames: r.frames, detectorRuns: r.detectorRuns, countMsPerFrame: r.countMs / r.frames, wallSeconds: r.wallSeconds });
  console.log(`${fps} fps: in ${r.people.in}/${want.in}, out ${r.people.out}/${want.out}, error ${err.total} (${(err.relative * 100).toFixed(0)} %); count stage ${(r.countMs / r.frames).toFixed(3)} ms/frame (wall)`);
}

// CPU per frame: tracker alone (baseline) vs tracker + counter, on the 2 fps run's detections
const line = parseGatewayConfig({ gatewayId: 'b', outbox: { path: ':memory:' }, detector: { modelDir: '/x' }, cameras: [{ id: 'c', source: { type: 'file', path: '/x' }, zones: [truth.line] }] }).cameras[0]?.countLines ?? [];
const trackerConfig = parseConfig(TrackerConfigSchema, {}, 'bench');
function replay(withCounter: boolean): { cpuMs: number; crossings: number } {
  let crossings = 0;
  const c0 = process.cpuUsage();
  for (let i = 0; i < REPEAT; i++) {
    const tracker = new Tracker(trackerConfig);
    const counter = withCounter ? new FlowCounter(line) : undefined;
    for (const f of recorded) {
      const tracks = tracker.update(f.t, f.detections);
      if (counter) crossings += counter.step(f.t, tracks).crossings.length;
    }
  }
  const c = process.cpuUsage(c0);
  return { cpuMs: (c.user + c.system) / 1000, crossings: crossings / REPEAT };
}
replay(true); // warm-up
const base = replay(false);
const both = replay(true);
const frames = recorded.length * REPEAT;
const cpu = {
  frames: recorded.length,
  repeat: REPEAT,
  trackerMsPerFrame: base.cpuMs / frames,
  trackerPlusCounterMsPerFrame: both.cpuMs / frames,
  counterMsPerFrame: (both.cpuMs - base.cpuMs) / frames,
  ratioToTracker: (both.cpuMs - base.cpuMs) / base.cpuMs,
  crossingsPerReplay: both.crossings,
  goalMs: 2,
};
console.log(`counter CPU per analysed frame: ${cpu.counterMsPerFrame.toFixed(4)} ms (tracker alone ${cpu.trackerMsPerFrame.toFixed(4)} ms; ratio ${cpu.ratioToTracker.toFixed(2)})`);
const load = loadavg();
writeFileSync(
  join(REPO, 'bench/results/edge-counting.json'),
  JSON.stringify({ at: new Date().toISOString(), loadavg: load, backend: detector.backend, runs, cpu }, null, 2) + '\n',
);
console.log(`load average ${load.map((x) => x.toFixed(1)).join(' ')}; wrote bench/results/edge-counting.json`);
await queue.close();
await detector.close();
