/**
 * The static-object layer alone (no detector) on a quality scene that once left a ghost
 * (bench/quality/static-layer.ts; cheap: motion gate + static objects on ~110 decoded frames).
 *   dump-pickup-long  a box on the grass 12-56 s, a man walking past in front of it at 27-31 s,
 *                     then 54 s of empty grass
 * Part of the box (a plain face) was absorbed into the background as "uncovered ground" when it was
 * first confirmed; when the box was picked up, the ground under it read as a new object from 66 s
 * to the end of the footage (a dumping alarm on nothing). The underlay (what an absorption
 * replaced) recognises that ground as the old background coming back.
 */
import t from 'tap';
import { intersection } from '../../src/frame.js';
import { loadScenes, makeScenes, ORIGIN } from '../../../bench/quality/evaluate.js';
import { staticLayer } from '../../../bench/quality/static-layer.js';

const scene = loadScenes().find((s) => s.id === 'dump-pickup-long');
const videoDir = makeScenes(['dump-pickup-long']);

for (const fps of [1, 2]) {
  t.test(`${fps} fps: the box is one blob from its start; the ground it leaves is no object`, async (t) => {
    if (!scene) return t.fail('scene dump-pickup-long');
    const steps = [];
    for await (const step of staticLayer(scene, fps, videoDir)) steps.push(step);
    t.ok(steps.length >= 100 * fps, `${steps.length} frames decoded`);
    const during = steps.filter((x) => x.s >= 32 && x.s < 55);
    t.ok(
      during.every((x) => x.blobs.length === 1),
      'while the box stands, one blob in every frame',
    );
    const box = during[during.length - 1]?.blobs[0];
    if (!box) return;
    const start = (box.since.getTime() - ORIGIN) / 1000;
    t.ok(Math.abs(start - 12) <= 2, `the blob starts when the box was put down (${start.toFixed(1)} s)`);
    const after = steps.filter((x) => x.s >= 60);
    const ghosts = after.filter((x) => x.blobs.some((b) => intersection(b.bbox, box.bbox) > 0));
    t.same(
      ghosts.map((x) => x.s),
      [],
      'from 60 s to the end, no blob where the box stood',
    );
  });
}
