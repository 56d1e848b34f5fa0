/**
 * Diagnostic: the static-object layer alone on one quality scene (no detector, cheap): prints the
 * blobs whenever they change (id, appearance time, edge score, box in analytic pixels).
 *
 *   npx tsx bench/quality/blobs.ts <scene-id> [fps] [from-s] [to-s]
 */
import { loadScenes, makeScenes, ORIGIN } from './evaluate.js';
import { staticLayer } from './static-layer.js';

const [id, fpsArg = '2', fromArg = '0', toArg = '1e9'] = process.argv.slice(2);
const scene = loadScenes().find((s) => s.id === id);
if (!scene) throw new Error(`no scene ${id ?? '(none given)'}`);
const px = (v: number, n: number): number => Math.round(v * n);
let last = '';
for await (const { s, blobs, width: W, height: H } of staticLayer(scene, Number(fpsArg), makeScenes([scene.id]))) {
  const line = blobs
    .map((b) => `${b.id}@${((b.since.getTime() - ORIGIN) / 1000).toFixed(1)} e${b.score.toFixed(2)} [${px(b.bbox.x, W)},${px(b.bbox.y, H)} ${px(b.bbox.w, W)}x${px(b.bbox.h, H)}]`)
    .join('  ');
  if (s >= Number(fromArg) && s <= Number(toArg) && line !== last) console.log(`${s.toFixed(1).padStart(5)} ${line || '-'}`);
  last = line;
}
