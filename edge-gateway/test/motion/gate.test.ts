import t from 'tap';
import type { MotionConfig } from '../../src/motion/config.js';
import { MotionGate } from '../../src/motion/gate.js';
import type { Frame } from '../../src/frame.js';
import { decodeFrames, opencvData } from '../detector/fixtures/media.js';

const config: MotionConfig = {
  width: 160,
  height: 90,
  pixelThreshold: 18,
  minMotionFraction: 0.003,
  backgroundTauSeconds: 5,
  maxIdleSeconds: 5,
};

// 20 s of real pedestrian footage at 1 fps.
const street = await decodeFrames(await opencvData('vtest.avi'), { fps: 1, count: 20 });

function at(frame: Frame, seconds: number): Frame {
  return { ...frame, seq: seconds, eventTime: new Date(Date.UTC(2024, 4, 6, 2, 0, 0) + seconds * 1000) };
}

t.test('identical frames show no motion after the first frame', async (t) => {
  const gate = new MotionGate(config);
  const still = street[0];
  if (!still) throw new Error('no frame decoded');
  const first = gate.evaluate(at(still, 0));
  t.equal(first.reason, 'first');
  t.equal(first.runDetector, true);
  for (let s = 1; s <= 4; s++) {
    const r = gate.evaluate(at(still, s));
    t.equal(r.motion, false, `t=${s}s no motion`);
    t.equal(r.fraction, 0);
    t.equal(r.runDetector, false);
  }
});

t.test('consecutive vtest frames with walking people show motion', async (t) => {
  const gate = new MotionGate(config);
  const results = street.map((f) => gate.evaluate(f));
  const moving = results.slice(1).filter((r) => r.motion).length;
  t.equal(moving, results.length - 1, `motion on ${moving}/${results.length - 1} frames`);
  t.ok(results.slice(1).every((r) => r.fraction > 0.003 && r.fraction < 0.5), 'changed share is a walking-people share, not the whole frame');
});

t.test('without motion the detector is still run every maxIdleSeconds', async (t) => {
  const gate = new MotionGate(config);
  const still = street[0];
  if (!still) throw new Error('no frame decoded');
  const runs: number[] = [];
  for (let s = 0; s <= 16; s++) {
    const r = gate.evaluate(at(still, s));
    if (r.runDetector) runs.push(s);
    if (s > 0 && r.runDetector) t.equal(r.reason, 'idle');
  }
  t.same(runs, [0, 5, 10, 15]);
});

t.test('a scene change counts as motion until the background absorbs it, then the idle clock restarts', async (t) => {
  const gate = new MotionGate(config);
  const [a, b] = street;
  if (!a || !b) throw new Error('no frames decoded');
  for (let s = 0; s <= 2; s++) gate.evaluate(at(a, s));
  const reasons = new Map<number, string>();
  for (let s = 3; s <= 40; s++) reasons.set(s, gate.evaluate(at(b, s)).reason);
  t.equal(reasons.get(3), 'motion');
  const motionAt = [...reasons].filter(([, r]) => r === 'motion').map(([s]) => s);
  const last = Math.max(...motionAt);
  t.ok(last < 25, `background absorbed the change after ${last - 3} s`);
  t.same(motionAt, Array.from({ length: last - 2 }, (_, i) => i + 3), 'motion is continuous until absorbed');
  t.equal(reasons.get(last + 1), 'none');
  t.equal(reasons.get(last + 5), 'idle', 'forced run maxIdleSeconds after the last motion frame');
});
