import * as tf from '@tensorflow/tfjs-core';
import { Registry } from 'prom-client';
import t from 'tap';
import { createDetector } from '../../src/detector/create.js';
import { iou } from '../../src/frame.js';
import { TfjsGraphDetector } from '../../src/detector/tfjs-graph.js';
import type { Detection } from '../../src/detector/types.js';
import { detectorConfig, realDetector } from '../support/detector.js';
import { decodeFrames, opencvData, stillFrame } from './fixtures/media.js';

// The real centernet model on the wasm backend, on this thread (the detector itself, without
// the worker threads the gateway runs it in), loaded once for the whole file.
const registry = new Registry();
const detector = await realDetector(t, { workers: 0 }, { registry });
const config = await detectorConfig({ workers: 0 });

const car = await stillFrame(await opencvData('licenseplate_motion.jpg'));
const street = await decodeFrames(await opencvData('vtest.avi'), { fps: 1, count: 3, startSeconds: 5 });

function inUnitRange(d: Detection): boolean {
  const { x, y, w, h } = d.bbox;
  return x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 1 + 1e-6 && y + h <= 1 + 1e-6;
}

t.test('the backend is wasm with SIMD and is exported as a metric', async (t) => {
  t.equal((detector as TfjsGraphDetector).backend?.name, 'wasm');
  t.equal((detector as TfjsGraphDetector).backend?.simd, true);
  const text = await registry.metrics();
  t.match(text, /streetwatch_edge_detector_backend_info\{backend="wasm",simd="true",threads="\d+",execution="ops",fallback=""\} 1/);
});

t.test('a parked car still yields a car with score >= 0.4 in a plausible normalized box', async (t) => {
  const dets = await detector.detect(car);
  const cars = dets.filter((d) => d.objectClass === 'car' && d.score >= 0.4);
  t.ok(cars.length >= 1, `found ${cars.length} cars (all: ${dets.map((d) => `${d.className}:${d.score.toFixed(2)}`).join(' ')})`);
  const best = cars[0];
  if (!best) return;
  t.ok(dets.every(inUnitRange), 'every box lies inside the unit square');
  // The car fills most of the still: its box covers the image centre and a large area.
  const cx = best.bbox.x + best.bbox.w / 2;
  const cy = best.bbox.y + best.bbox.h / 2;
  t.ok(cx > 0.3 && cx < 0.7 && cy > 0.2 && cy < 0.7, `centre (${cx.toFixed(2)}, ${cy.toFixed(2)}) is near the middle`);
  t.ok(best.bbox.w * best.bbox.h > 0.2, `box area ${(best.bbox.w * best.bbox.h).toFixed(2)} is large`);
  t.equal(best.classId, 2);
  t.equal(best.className, 'car');
});

t.test('overlapping duplicate boxes of one vehicle are suppressed', async (t) => {
  const dets = await detector.detect(car);
  const vehicles = dets.filter((d) => ['car', 'truck', 'bus'].includes(d.objectClass));
  const strong = vehicles.filter((d) => d.score >= 0.4);
  t.equal(strong.length, 1, 'one confident vehicle box survives (the raw model gives two at 0.43 and 0.42)');
  for (const a of vehicles) {
    for (const b of vehicles) {
      if (a !== b) t.ok(iou(a.bbox, b.bbox) <= 0.5, 'no two kept vehicle boxes overlap by more than the NMS IoU');
    }
  }
});

t.test('a vtest street frame yields at least two persons', async (t) => {
  for (const frame of street) {
    const persons = (await detector.detect(frame)).filter((d) => d.objectClass === 'person' && d.score >= 0.4);
    t.ok(persons.length >= 2, `frame ${frame.seq}: ${persons.length} persons at score >= 0.4`);
    // Pedestrians are taller than wide.
    t.ok(persons.every((p) => p.bbox.h > p.bbox.w), 'person boxes are upright');
  }
});

t.test('repeated detection does not leak tensors', async (t) => {
  const before = tf.memory().numTensors;
  for (let i = 0; i < 6; i++) await detector.detect(street[i % street.length] ?? car);
  t.equal(tf.memory().numTensors, before, `tensor count stays at ${before}`);
});

t.test('a frame whose buffer does not match its size is refused with a code', async (t) => {
  await t.rejects(detector.detect({ ...car, width: car.width + 1 }), { code: 'SW_EDGE_FRAME_INVALID' });
});

t.test('detect before load and load of a missing model fail with stable codes', async (t) => {
  const missing = createDetector({ ...config, modelDir: '/nonexistent/streetwatch-models' });
  t.teardown(() => missing.close());
  await t.rejects(missing.detect(car), { code: 'SW_EDGE_DETECTOR_NOT_LOADED' });
  await t.rejects(missing.load(), { code: 'SW_EDGE_MODEL_MISSING' });
});
