/**
 * The quality guard of the native backend: the detector on tensorflow (tfjs-node, built by
 * scripts/build-tfjs-node.sh) finds the same objects as on wasm, op by op and as a SavedModel
 * (scripts/convert-savedmodel.sh), on the same real frames. Each runs in its own worker thread
 * (TF.js backends are per thread), as the gateway runs them. Without the native build these tests
 * fail, naming why: scripts/test.sh builds it before the tests.
 */
import { Registry } from 'prom-client';
import t from 'tap';
import { iou, type Frame } from '../../src/frame.js';
import type { BackendInfo } from '../../src/detector/backend.js';
import type { Detection, Detector } from '../../src/detector/types.js';
import { WorkerDetector } from '../../src/detector/worker-detector.js';
import { realDetector } from '../support/detector.js';
import { decodeFrames, opencvData, stillFrame } from './fixtures/media.js';

const car = await stillFrame(await opencvData('licenseplate_motion.jpg'));
const street = await decodeFrames(await opencvData('vtest.avi'), { fps: 1, count: 4, startSeconds: 5 });
const frames: Frame[] = [car, ...street];

/** Boxes this close to the score threshold (0.2) may fall on either side of it on another backend. */
const MARGIN = 0.01;
const SCORE_TOLERANCE = 1e-3;
const MIN_IOU = 0.995;

function backendOf(d: Detector): BackendInfo | undefined {
  return (d as WorkerDetector).backend;
}

/** Every detection of `a` clear of the threshold has one in `b` of the same class, box and score. */
function unmatched(a: Detection[], b: Detection[], threshold: number): string[] {
  const missing: string[] = [];
  for (const x of a) {
    if (x.score < threshold + MARGIN) continue;
    const y = b.find((d) => d.classId === x.classId && iou(d.bbox, x.bbox) >= MIN_IOU && Math.abs(d.score - x.score) <= SCORE_TOLERANCE);
    if (!y) missing.push(`${x.className}:${x.score.toFixed(3)}@${x.bbox.x.toFixed(3)},${x.bbox.y.toFixed(3)}`);
  }
  return missing;
}

t.test('tensorflow (graph and op by op) and wasm find the same detections on the same frames', async (t) => {
  const registry = new Registry();
  const wasm = await realDetector(t, { workers: 1, backend: 'wasm' });
  const ops = await realDetector(t, { workers: 1, backend: 'tensorflow', execution: 'ops' });
  const graph = await realDetector(t, { workers: 1, backend: 'tensorflow', execution: 'graph' }, { registry });
  t.match(backendOf(wasm), { name: 'wasm', execution: 'ops' });
  t.match(backendOf(ops), { name: 'tensorflow', execution: 'ops', package: '@tensorflow/tfjs-node' });
  t.match(backendOf(graph), { name: 'tensorflow', execution: 'graph', package: '@tensorflow/tfjs-node', tensorflowVersion: /^2\./, oneDnn: true });
  t.match(await registry.metrics(), /streetwatch_edge_detector_backend_info\{backend="tensorflow",simd="false",threads="\d+",execution="graph",fallback=""\} 1/);

  let compared = 0;
  for (const f of frames) {
    const [w, o, g] = await Promise.all([wasm.detect(f), ops.detect(f), graph.detect(f)]);
    t.ok(w.length > 0, `frame ${f.seq}: wasm finds objects`);
    for (const [name, other] of [
      ['tensorflow ops', o],
      ['tensorflow graph', g],
    ] as const) {
      t.same(unmatched(w, other, 0.2), [], `frame ${f.seq}: every wasm detection is found by ${name}`);
      t.same(unmatched(other, w, 0.2), [], `frame ${f.seq}: every ${name} detection is found by wasm`);
    }
    compared += w.length;
  }
  t.ok(compared >= 10, `${compared} detections compared`);
});

t.test('auto falls back to wasm when the native package does not load, and says why; tensorflow then fails with a code', async (t) => {
  // No GPU build here: the -gpu package is absent, which is the case `auto` must survive.
  const registry = new Registry();
  const auto = await realDetector(t, { workers: 1, backend: 'auto', nativePackage: '@tensorflow/tfjs-node-gpu' }, { registry });
  t.match(backendOf(auto), { name: 'wasm', fallbackReason: /@tensorflow\/tfjs-node-gpu: import failed/ });
  t.match(await registry.metrics(), /streetwatch_edge_detector_backend_info\{backend="wasm",.*fallback="@tensorflow\/tfjs-node-gpu: import failed/);
  t.ok((await auto.detect(car)).some((d) => d.objectClass === 'car'), 'and still detects');
  await t.rejects(realDetector(t, { workers: 1, backend: 'tensorflow', nativePackage: '@tensorflow/tfjs-node-gpu' }), { code: 'SW_EDGE_DETECTOR_BACKEND' });
});

t.test('execution graph on wasm is refused with a code (a SavedModel needs the native backend)', async (t) => {
  await t.rejects(realDetector(t, { workers: 1, backend: 'wasm', execution: 'graph' }), { code: 'SW_EDGE_DETECTOR_BACKEND' });
});
