/**
 * Detection quality per violation type (issue 11): every quality scene through the real gateway
 * pipeline at 1, 2 and 5 analytic fps, scored against its ground truth.
 *
 *   npm run eval:quality                                   (everything: ~35 scenes x 3 fps)
 *   npm run eval:quality -- --fps 1 --split heldout --label after-x --scenes a,b
 *
 * One scene at a time, one detector worker thread (parallelism 1: the numbers do not depend on
 * how busy the machine is, only the wall time does). Writes bench/quality/results/<label>.json and
 * .md (per type, per fps, per split; per-scene outcomes; the frame-rate consistency check).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '@streetwatch/platform';
import { createDetector, DetectorConfigSchema, DetectorQueue } from '@streetwatch/edge-gateway';
import { modelDir } from '../../edge-gateway/test/support/detector.js';
import { CachingDetector, modelKeyOf } from './detection-cache.js';
import { evaluateScene, loadScenes, makeScenes, REPO, type SceneRun } from './evaluate.js';
import { summarize, type TypeSummary } from './match.js';

const TYPES = ['illegal_parking', 'dumping', 'shopfront_spillover', 'street_vendor'];
const { values } = parseArgs({
  options: {
    fps: { type: 'string', default: '1,2,5' },
    split: { type: 'string', default: 'all' },
    scenes: { type: 'string' },
    label: { type: 'string', default: 'latest' },
    backend: { type: 'string', default: 'auto' },
    // run the detector on every frame even when its answer for identical pixels is cached (detection-cache.ts)
    fresh: { type: 'boolean', default: false },
  },
});
const fpsList = (values.fps ?? '1,2,5').split(',').map(Number);
const pick = values.scenes?.split(',');
const scenes = loadScenes().filter((s) => (values.split === 'all' || s.split === values.split) && (!pick || pick.includes(s.id)));
if (scenes.length === 0) throw new Error('no scene selected');
const videoDir = makeScenes(scenes.map((s) => s.id));
const detectorConfig = parseConfig(DetectorConfigSchema, { modelDir: await modelDir(), backend: values.backend, workers: 1 }, 'quality detector');
const real = createDetector(detectorConfig);
const detector = values.fresh ? real : new CachingDetector(real, modelKeyOf(detectorConfig.modelDir, { ...detectorConfig, modelDir: '' }));
await detector.load();
const queue = new DetectorQueue(detector, { maxWaiting: 8 });

const started = Date.now();
const runs: SceneRun[] = [];
for (const fps of fpsList) {
  for (const scene of scenes) {
    const r = await evaluateScene(scene, fps, { detector: queue, videoDir });
    runs.push(r);
    const k = (kind: string) => r.outcomes.filter((o) => o.kind === kind).length;
    console.error(
      `${fps} fps ${scene.id.padEnd(24)} tp ${k('tp')} fp ${k('fp')} miss ${k('miss')} dup ${k('duplicate')}  ` +
        r.alarms.map((a) => `${a.type}/${a.zone}@${a.time.toFixed(1)}(${a.objectClass}, from ${a.startedAt.toFixed(1)}, end ${a.endTime?.toFixed(1) ?? '-'})`).join(' ') +
        `  ${r.wallSeconds.toFixed(0)} s`,
    );
  }
}
await queue.close();
await detector.close();

const wallMinutes = (Date.now() - started) / 60000;
const cache = detector instanceof CachingDetector ? detector.stats : undefined;
const backend = detector.backend;
const groups: { fps: number; split: string; hours: number; types: TypeSummary[] }[] = [];
for (const fps of fpsList) {
  for (const split of ['dev', 'heldout', 'all']) {
    const rs = runs.filter((r) => r.fps === fps && (split === 'all' || r.split === split));
    if (rs.length === 0) continue;
    const hours = rs.reduce((h, r) => h + r.duration, 0) / 3600;
    groups.push({ fps, split, hours, types: summarize(TYPES, rs.flatMap((r) => r.outcomes), hours) });
  }
}

/** Frame-rate independence: per scene, the same violations (type, zone, matched truth) at every fps, starts within 2 s. */
const consistency = scenes.map((s) => {
  const per = fpsList.map((fps) => runs.find((r) => r.scene === s.id && r.fps === fps)).filter((r): r is SceneRun => r !== undefined);
  const sig = (r: SceneRun) => r.alarms.map((a) => `${a.type}/${a.zone}`).sort().join(',');
  const same = per.every((r) => sig(r) === sig(per[0] as SceneRun));
  let spread = 0;
  if (same && per[0]) {
    const sorted = per.map((r) => r.alarms.slice().sort((a, b) => `${a.type}${a.zone}${a.time}`.localeCompare(`${b.type}${b.zone}${b.time}`)));
    for (let i = 0; i < (sorted[0]?.length ?? 0); i++) {
      const ts = sorted.map((as) => as[i]?.time ?? 0);
      spread = Math.max(spread, Math.max(...ts) - Math.min(...ts));
    }
  }
  return { scene: s.id, same, startSpreadSeconds: spread, ok: same && spread <= 2 };
});

const f = (v: number | null, d = 2): string => (v === null ? '-' : v.toFixed(d));
const md: string[] = [
  `# Quality evaluation: ${values.label}`,
  '',
  `${new Date().toISOString()}; ${scenes.length} scenes (${scenes.filter((s) => s.split === 'heldout').length} held-out) at ${fpsList.join(', ')} fps; wall ${wallMinutes.toFixed(1)} min on ${cpus().length} cores, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}; backend ${backend?.name ?? '?'} (${backend?.execution ?? '?'}); ${cache ? `detector answers replayed for ${cache.hits} frames, run on ${cache.misses} (detection-cache.ts)` : 'detector run on every frame (--fresh)'}.`,
  '',
  '| fps | split | type | P | R | F1 | TP | FP | miss | dup | FA/cam-h | lat p50 | lat p90 | end p50 | end p90 | open |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const g of groups) {
  for (const t of g.types) {
    md.push(
      `| ${g.fps} | ${g.split} | ${t.type} | ${f(t.precision)} | ${f(t.recall)} | ${f(t.f1)} | ${t.tp} | ${t.fp} | ${t.misses} | ${t.duplicates} | ${f(t.falseAlarmsPerCameraHour, 1)} | ${f(t.latencyMedian, 1)} | ${f(t.latencyP90, 1)} | ${f(t.endLatencyMedian, 1)} | ${f(t.endLatencyP90, 1)} | ${t.openAtEnd} |`,
    );
  }
}
if (fpsList.length > 1) {
  md.push('', `Frame-rate independence (same violations at ${fpsList.join('/')} fps, starts within 2 s): ${consistency.filter((c) => c.ok).length}/${consistency.length} scenes.`);
  const bad = consistency.filter((c) => !c.ok);
  if (bad.length) md.push('', `Not consistent: ${bad.map((c) => `${c.scene}${c.same ? ` (spread ${c.startSpreadSeconds.toFixed(1)} s)` : ''}`).join(', ')}.`);
}
md.push('', '## Per scene', '', '| fps | scene | split | outcomes | alarms (type/zone@start s, class, end s) |', '|---|---|---|---|---|');
for (const r of runs) {
  const oc = r.outcomes.map((o) => (o.kind === 'miss' ? `miss ${o.event.id}` : o.kind === 'tp' ? `tp ${o.event.id} (+${o.latency.toFixed(1)} s)` : o.kind)).join(', ');
  md.push(`| ${r.fps} | ${r.scene} | ${r.split} | ${oc || 'none'} | ${r.alarms.map((a) => `${a.type}/${a.zone}@${a.time.toFixed(1)} ${a.objectClass} end ${a.endTime?.toFixed(1) ?? '-'}${a.endAtShutdown ? ' (shutdown)' : ''}`).join('; ')} |`);
}
const dir = join(REPO, 'bench/quality/results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `${values.label}.json`), JSON.stringify({ label: values.label, at: new Date().toISOString(), wallMinutes, load: loadavg(), backend, cache, fps: fpsList, groups, consistency, runs }, null, 1) + '\n');
writeFileSync(join(dir, `${values.label}.md`), md.join('\n') + '\n');
console.log(md.slice(0, 6 + groups.length * TYPES.length + 4).join('\n'));
