/**
 * The shared detector queue on the real model (centernet on wasm): inferences from several
 * cameras never overlap and run in arrival order; close() lets the running one finish and
 * refuses the queued ones.
 */
import t from 'tap';
import { createDetector } from '../../src/detector/create.js';
import { DEFAULT_CLASS_MAP } from '../../src/detector/coco.js';
import type { Detector } from '../../src/detector/types.js';
import type { Frame } from '../../src/frame.js';
import { DetectorQueue } from '../../src/pipeline/detector-queue.js';
import { modelDir } from '../detector/fixtures/media.js';
import { vtestFrame } from '../support/frames.js';
import { waitFor } from '../support/wait.js';

const real = createDetector({
  type: 'tfjs-graph',
  model: 'centernet',
  modelDir: await modelDir(),
  backend: 'wasm',
  inputSize: 512,
  scoreThreshold: 0.2,
  maxDetections: 50,
  nmsIouThreshold: 0.5,
  nmsGroups: [['car', 'truck', 'bus']],
  classMap: DEFAULT_CLASS_MAP,
});
t.teardown(() => real.close());
await real.load();
const picture = vtestFrame(5);
const frame = (cameraId: string, seq: number): Frame => ({ ...picture, cameraId, seq, eventTime: new Date(Date.UTC(2024, 4, 6) + seq * 1000) });

/**
 * The real detector, watched: how many detect() calls overlap, and in which order they ran.
 * With `hold`, each inference waits for `release()` first (to close the queue mid-inference).
 */
function watched(hold = false): { detector: Detector; order: string[]; maxConcurrent: () => number; release: () => void } {
  let open: () => void = () => {};
  const gate = hold ? new Promise<void>((r) => (open = r)) : Promise.resolve();
  let running = 0;
  let max = 0;
  const order: string[] = [];
  return {
    order,
    maxConcurrent: () => max,
    release: () => open(),
    detector: {
      load: () => real.load(),
      close: () => Promise.resolve(),
      async detect(f) {
        running++;
        max = Math.max(max, running);
        order.push(`${f.cameraId}#${f.seq}`);
        try {
          await gate;
          return await real.detect(f);
        } finally {
          running--;
        }
      },
    },
  };
}

t.test('inferences from several cameras run one at a time, in arrival order', async (t) => {
  const w = watched();
  const depths: number[] = [];
  const queue = new DetectorQueue(w.detector, { onDepth: (d) => depths.push(d) });
  const asked = ['cam-a#0', 'cam-b#0', 'cam-c#0', 'cam-a#1', 'cam-b#1'];
  const results = await Promise.all(asked.map((id) => queue.detect(frame(id.split('#')[0]!, Number(id.split('#')[1])))));
  t.equal(w.maxConcurrent(), 1, 'never two at once');
  t.same(w.order, asked, 'first come, first served');
  t.ok(results.every((r) => r.detections.some((d) => d.objectClass === 'person')), 'each got the real detections (people on the walkway)');
  t.ok(results.every((r, i) => i === 0 || r.waitMs > 0), 'later frames report the time they waited');
  t.equal(Math.max(...depths), asked.length);
  t.equal(queue.depth, 0);
});

t.test('close() lets the running inference finish and refuses the queued ones with SW_EDGE_QUEUE_CLOSED', async (t) => {
  const w = watched(true);
  const queue = new DetectorQueue(w.detector);
  const first = queue.detect(frame('cam-a', 0));
  const second = queue.detect(frame('cam-b', 0));
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const closed = queue.close();
  w.release();
  t.ok((await first).detections.length > 0, 'the running one completes');
  await t.rejects(second, { code: 'SW_EDGE_QUEUE_CLOSED' });
  await closed;
  await t.rejects(queue.detect(frame('cam-c', 0)), { code: 'SW_EDGE_QUEUE_CLOSED' }, 'no new work after close');
  t.same(w.order, ['cam-a#0']);
  await queue.close(); // idempotent
});
