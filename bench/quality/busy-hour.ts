/**
 * False alarms on busy footage with nothing placed (issue 11): the vtest walkway looped for an hour
 * (by default), all four zone types drawn (the quality scenes' zones: parking road, dumping grass,
 * shopfront band, vendor walkway), through the real gateway pipeline like eval:quality. Every
 * alarm is a false alarm; reported per type and per camera-hour.
 *
 *   npm run eval:busy-hour                       (60 min at 1 fps)
 *   npm run eval:busy-hour -- --minutes 10 --fps 2
 *
 * Cost: one detector inference per analytic frame (~0.2-0.25 s CPU on a quiet 2-core box:
 * ~15 min CPU per hour of footage at 1 fps). Writes bench/quality/results/busy-hour-<label>.json/.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '@streetwatch/platform';
import { createDetector, DetectorConfigSchema, DetectorQueue } from '@streetwatch/edge-gateway';
import { modelDir } from '../../edge-gateway/test/support/detector.js';
import { CachingDetector, modelKeyOf } from './detection-cache.js';
import { evaluateScene, REPO, SCENE_DIR, type Scene } from './evaluate.js';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '60' }, fps: { type: 'string', default: '1' }, label: { type: 'string', default: 'latest' }, fresh: { type: 'boolean', default: false } },
});
const minutes = Number(values.minutes);
const fps = Number(values.fps);
if (!(minutes > 0) || !(fps > 0)) throw new Error('--minutes and --fps must be positive numbers');

const data = execFileSync('bash', [join(REPO, 'examples/scenes/fetch-video.sh')], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
const dir = join(process.env.STREETWATCH_SCENES_DIR ?? join(homedir(), '.cache/streetwatch/scenes'), 'quality');
mkdirSync(dir, { recursive: true });
const id = `busy-hour-${minutes}m`;
const video = join(dir, `${id}.mp4`);
if (!existsSync(video)) {
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-stream_loop', '-1', '-i', join(data, 'vtest.avi'), '-t', String(minutes * 60), '-r', '10',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p', '-an', `${video}.tmp.mp4`]);
  renameSync(`${video}.tmp.mp4`, video);
}
const zones = (JSON.parse(readFileSync(join(SCENE_DIR, 'busy-a.json'), 'utf8')) as Scene).zones;
const scene: Scene = { id, split: 'heldout', description: `vtest looped ${minutes} min, nothing placed`, duration: minutes * 60, zones, truth: [] };

const detectorConfig = parseConfig(DetectorConfigSchema, { modelDir: await modelDir(), workers: 1 }, 'busy-hour detector');
const real = createDetector(detectorConfig);
// detector answers for identical pixels are replayed from the cache unless --fresh (detection-cache.ts)
const detector = values.fresh ? real : new CachingDetector(real, modelKeyOf(detectorConfig.modelDir, { ...detectorConfig, modelDir: '' }));
await detector.load();
const queue = new DetectorQueue(detector);
const t0 = Date.now();
const r = await evaluateScene(scene, fps, { detector: queue, videoDir: dir });
await queue.close();
await detector.close();
const hours = scene.duration / 3600;
const types = ['illegal_parking', 'dumping', 'shopfront_spillover', 'street_vendor'];
const perType = types.map((type) => {
  const n = r.alarms.filter((a) => a.type === type).length;
  return { type, falseAlarms: n, perCameraHour: n / hours };
});
const cache = detector instanceof CachingDetector ? detector.stats : undefined;
const out = { label: values.label, at: new Date().toISOString(), load: loadavg(), backend: detector.backend, cache, minutes, fps, frames: r.frames, detectorRuns: r.detectorRuns, wallMinutes: (Date.now() - t0) / 60000, perType, alarms: r.alarms };
const res = join(REPO, 'bench/quality/results');
mkdirSync(res, { recursive: true });
writeFileSync(join(res, `busy-hour-${values.label}.json`), JSON.stringify(out, null, 1) + '\n');
const md = [
  `# Busy footage, nothing placed: ${minutes} min at ${fps} fps (${values.label})`,
  '',
  `${r.frames} frames, detector on ${r.detectorRuns}${cache ? ` (${cache.misses} run, ${cache.hits} replayed from the cache)` : ''}; backend ${detector.backend?.name ?? '?'}; wall ${out.wallMinutes.toFixed(1)} min, load average at the end ${out.load.map((l) => l.toFixed(1)).join(' ')}.`,
  '',
  '| type | false alarms | per camera-hour |',
  '|---|---|---|',
  ...perType.map((p) => `| ${p.type} | ${p.falseAlarms} | ${p.perCameraHour.toFixed(2)} |`),
  '',
  ...r.alarms.map((a) => `- ${a.type}/${a.zone} at ${a.time.toFixed(1)} s (${a.objectClass}, from ${a.startedAt.toFixed(1)} s)`),
];
writeFileSync(join(res, `busy-hour-${values.label}.md`), md.join('\n') + '\n');
console.log(md.join('\n'));
