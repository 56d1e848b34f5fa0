/**
 * Defaults that decide how many cameras one box analyses (issue 13, bench/edge/capacity.ts):
 * - the detector queue holds one frame per enabled camera unless `detector.maxQueuedFrames` says
 *   otherwise, so a burst of frames from every camera at once (cameras on one clock) loses none;
 * - libtensorflow's process-wide inter-op pool gets one thread per detector worker, so the workers'
 *   inferences run side by side instead of one at a time; the environment still wins.
 */
import t from 'tap';
import { detectorQueueBound, parseGatewayConfig } from '../../src/config/parse.js';
import { setNativeThreads } from '../../src/detector/backend.js';
import type { Detector } from '../../src/detector/types.js';
import type { Frame } from '../../src/frame.js';
import { DetectorQueue, type DropReason } from '../../src/pipeline/detector-queue.js';

const camera = (i: number, enabled = true) => ({ id: `cam-${i}`, enabled, source: { type: 'file', path: '/v.avi' } });
const config = (cameras: unknown[], detector: Record<string, unknown> = {}) =>
  parseGatewayConfig({ gatewayId: 'gw-1', outbox: { path: '/tmp/o.db' }, evidence: {}, detector: { modelDir: '/models', ...detector }, cameras });

t.test('the queue bound is one frame per enabled camera by default; the config value wins', async (t) => {
  const cams = Array.from({ length: 12 }, (_, i) => camera(i, i !== 3));
  t.equal(detectorQueueBound(config(cams)), 11, 'eleven enabled cameras');
  t.equal(detectorQueueBound(config(cams, { maxQueuedFrames: 4 })), 4);
  t.equal(detectorQueueBound(config([camera(0, false)])), 1, 'every camera disabled: still one');
});

/** A detector that answers each frame a tick later: only the queue policy is under test here. */
function tickDetector(): Detector {
  return { load: async () => {}, close: async () => {}, detect: () => new Promise((r) => setImmediate(() => r([]))) };
}

async function burst(bound: number, cameras: number): Promise<{ dropped: number; analysed: number }> {
  const drops: DropReason[] = [];
  const queue = new DetectorQueue(tickDetector(), { concurrency: 2, maxWaiting: bound, onDrop: (_c, r) => drops.push(r) });
  const frames: Frame[] = Array.from({ length: cameras }, (_, i) => ({
    cameraId: `cam-${i}`,
    seq: 0,
    eventTime: new Date(0),
    width: 4,
    height: 4,
    data: Buffer.alloc(48),
  }) as unknown as Frame);
  const results = await Promise.allSettled(frames.map((f) => queue.detect(f)));
  await queue.close();
  return { dropped: drops.length, analysed: results.filter((r) => r.status === 'fulfilled').length };
}

t.test('twelve cameras whose frames arrive together are all analysed with the default bound', async (t) => {
  const cams = Array.from({ length: 12 }, (_, i) => camera(i));
  t.same(await burst(detectorQueueBound(config(cams)), 12), { dropped: 0, analysed: 12 });
  // The old fixed bound of 8: two running + eight waiting, two of every burst of twelve dropped.
  t.same(await burst(detectorQueueBound(config(cams, { maxQueuedFrames: 8 })), 12), { dropped: 2, analysed: 10 });
});

t.test('native thread pools: inter-op threads = detector workers, intra-op as configured, environment wins', async (t) => {
  const env: NodeJS.ProcessEnv = {};
  setNativeThreads(1, true, env, 2);
  t.match(env, { TF_NUM_INTRAOP_THREADS: '1', TF_NUM_INTEROP_THREADS: '2', TF_ENABLE_ONEDNN_OPTS: '1' });
  const preset: NodeJS.ProcessEnv = { TF_NUM_INTEROP_THREADS: '1' };
  setNativeThreads(0, false, preset, 4);
  t.equal(preset.TF_NUM_INTEROP_THREADS, '1', 'set by the operator: kept');
  t.equal(preset.TF_NUM_INTRAOP_THREADS, undefined, '0 leaves TensorFlow its default');
  t.equal(preset.TF_ENABLE_ONEDNN_OPTS, '0');
  const none: NodeJS.ProcessEnv = {};
  setNativeThreads(1, true, none, 0);
  t.equal(none.TF_NUM_INTEROP_THREADS, '1', 'no workers (inference on the main thread): one');
});
