/**
 * The analytics chain on real footage: motion gate -> centernet (wasm) -> tracker -> rules,
 * on examples/scenes' parking.mp4 (vtest walkway with a real car still standing on the road
 * from t=10 s to t=40 s), at 1 analytic fps.
 */
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import type { Detection } from '../../src/detector/types.js';
import { MotionGate } from '../../src/motion/gate.js';
import { StaticObjectDetector } from '../../src/motion/static-objects.js';
import { RuleEngine, type ViolationEvent } from '../../src/rules/engine.js';
import { Tracker } from '../../src/tracker/tracker.js';
import { realDetector } from '../support/detector.js';
import { decodeFrames } from '../detector/fixtures/media.js';

const here = dirname(fileURLToPath(import.meta.url));
const { stdout } = await promisify(execFile)('bash', [resolve(here, '../../../examples/scenes/make-scenes.sh')], { timeout: 600_000 });
const scenes = stdout.trim().split('\n').pop() ?? '';
const T0 = Date.UTC(2024, 4, 6, 6, 0, 0); // 14:00 Shanghai
const frames = await decodeFrames(join(scenes, 'parking.mp4'), { fps: 1, count: 55, cameraId: 'cam-03', t0: new Date(T0) });

const detector = await realDetector(t);

t.test('a car standing on the road for 30 s yields exactly one parking violation with start and end', async (t) => {
  const gate = new MotionGate({ width: 160, height: 90, pixelThreshold: 18, minMotionFraction: 0.003, backgroundTauSeconds: 5, maxIdleSeconds: 10 });
  const statics = new StaticObjectDetector(
    { fastTauSeconds: 5, slowTauSeconds: 600, absorbTauSeconds: 3600, pixelThreshold: 25, confirmSeconds: 8, minBlobArea: 0.002, maxStaticFraction: 0.35, blobMatchIou: 0.3, initSeconds: 6, sameObjectSeconds: 3, blobMemorySeconds: 20, minEdgeEvidence: 0.45, maxTextureCorrelation: 0.9 },
    160,
    90,
  );
  const tracker = new Tracker({
    highScore: 0.4,
    lowScore: 0.15,
    matchIou: 0.2,
    secondMatchIou: 0.4,
    minHits: 2,
    lostMemorySeconds: 5,
    stationaryWindowSeconds: 5,
    stationaryMaxDisplacement: 0.02,
    stationaryBreakSeconds: 3,
  classGroups: [['car', 'truck', 'bus']],
    measurementNoise: 0.05,
    accelerationNoise: 0.5,
  });
  // The road on the right of the walkway (the car's wheels are at about (0.76, 0.94)).
  const rules = new RuleEngine('cam-03', {
    zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 10, gapSeconds: 5 }],
    updateIntervalSeconds: 10,
  });
  const events: ViolationEvent[] = [];
  let detectorRuns = 0;
  for (const frame of frames) {
    const g = gate.evaluate(frame);
    const blobs = statics.update(g.grey, frame.eventTime);
    if (g.runDetector) {
      detectorRuns++;
      const dets: Detection[] = await detector.detect(frame);
      tracker.update(frame.eventTime, dets);
    }
    events.push(...rules.step({ eventTime: frame.eventTime, tracks: tracker.tracks, staticBlobs: blobs }));
  }
  const rel = (d: Date): number => (d.getTime() - T0) / 1000;
  t.comment(events.map((e) => `${rel(e.eventTime)}s ${e.phase} ${e.objectClass} ${e.trackId ?? ''} dwell=${e.dwellSeconds} ${e.endReason ?? ''}`).join('\n'));
  t.ok(detectorRuns > 0);
  const starts = events.filter((e) => e.phase === 'start');
  const ends = events.filter((e) => e.phase === 'end');
  t.equal(starts.length, 1, 'one start');
  t.equal(ends.length, 1, 'one end');
  const start = starts[0];
  const end = ends[0];
  if (!start || !end) return;
  t.equal(start.type, 'illegal_parking');
  t.ok(['car', 'truck', 'bus'].includes(start.objectClass));
  t.ok(rel(start.startedAt) >= 10 && rel(start.startedAt) <= 16, `stationary from ${rel(start.startedAt)} s (car appears at 10 s)`);
  t.ok(rel(start.eventTime) >= 20 && rel(start.eventTime) <= 27, `start at ${rel(start.eventTime)} s`);
  t.equal(end.violationId, start.violationId, 'one violationId from start to end');
  t.ok(rel(end.eventTime) > 40 && rel(end.eventTime) <= 50, `end at ${rel(end.eventTime)} s (car gone at 40 s)`);
  t.ok(events.every((e) => e.violationId === start.violationId), 'no other violation (pedestrians never count)');
});
