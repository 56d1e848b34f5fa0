/**
 * The shared detector queue on the real model (centernet on wasm, in its worker thread):
 * inferences run at most `concurrency` at once, in arrival order; the overload policy drops the
 * oldest waiting frame (per camera, then overall); close() lets the running one finish and
 * refuses the queued ones.
 */
import t from 'tap';
import type { Detector } from '../../src/detector/types.js';
import type { Frame } from '../../src/frame.js';
import { DetectorQueue, type DropReason } from '../../src/pipeline/detector-queue.js';
import { realDetector } from '../support/detector.js';
import { vtestFrame } from '../support/frames.js';
import { waitFor } from '../support/wait.js';

const real = await realDetector(t);
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

const id = (f: Frame): string => `${f.cameraId}#${f.seq}`;

t.test('inferences from several cameras run one at a time, in arrival order', async (t) => {
  const w = watched();
  const depths: number[] = [];
  const queue = new DetectorQueue(w.detector, { onDepth: (d) => depths.push(d) });
  const asked = ['cam-a', 'cam-b', 'cam-c', 'cam-d', 'cam-e'].map((c) => frame(c, 0));
  const results = await Promise.all(asked.map((f) => queue.detect(f)));
  t.equal(w.maxConcurrent(), 1, 'never two at once');
  t.same(w.order, asked.map(id), 'first come, first served');
  t.ok(results.every((r) => r.detections.some((d) => d.objectClass === 'person')), 'each got the real detections (people on the walkway)');
  t.ok(results.every((r, i) => i === 0 || r.waitMs > 0), 'later frames report the time they waited');
  t.equal(Math.max(...depths), asked.length);
  t.equal(queue.depth, 0);
});

t.test('with concurrency 2, two inferences run at once and the others wait their turn', async (t) => {
  const w = watched();
  const queue = new DetectorQueue(w.detector, { concurrency: 2 });
  const asked = ['cam-a', 'cam-b', 'cam-c', 'cam-d'].map((c) => frame(c, 0));
  await Promise.all(asked.map((f) => queue.detect(f)));
  t.equal(w.maxConcurrent(), 2);
  t.same(w.order, asked.map(id), 'started in arrival order');
});

t.test('a newer frame of a camera replaces its waiting frame, which is dropped as superseded', async (t) => {
  const w = watched(true);
  const drops: string[] = [];
  const queue = new DetectorQueue(w.detector, { onDrop: (camera, reason: DropReason) => drops.push(`${camera}:${reason}`) });
  const running = queue.detect(frame('cam-a', 0));
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const older = t.rejects(queue.detect(frame('cam-b', 0)), { code: 'SW_EDGE_FRAME_DROPPED', details: { cameraId: 'cam-b', reason: 'superseded' } });
  const newer = queue.detect(frame('cam-b', 1));
  await older;
  t.equal(queue.depth, 2, 'one running, one waiting: the queue did not grow');
  w.release();
  await Promise.all([running, newer]);
  t.same(w.order, ['cam-a#0', 'cam-b#1'], 'the dropped frame never reached the detector');
  t.same(drops, ['cam-b:superseded']);
});

t.test('when maxWaiting frames wait, the oldest waiting frame is dropped for the new one (queue_full)', async (t) => {
  const w = watched(true);
  const drops: string[] = [];
  const queue = new DetectorQueue(w.detector, { maxWaiting: 2, onDrop: (camera, reason) => drops.push(`${camera}:${reason}`) });
  const running = queue.detect(frame('cam-a', 0));
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const oldest = t.rejects(queue.detect(frame('cam-b', 0)), { code: 'SW_EDGE_FRAME_DROPPED', details: { reason: 'queue_full' } });
  const kept = [queue.detect(frame('cam-c', 0)), queue.detect(frame('cam-d', 0))];
  await oldest;
  t.equal(queue.depth, 3, 'one running + maxWaiting waiting');
  w.release();
  await Promise.all([running, ...kept]);
  t.same(w.order, ['cam-a#0', 'cam-c#0', 'cam-d#0']);
  t.same(drops, ['cam-b:queue_full']);
});

t.test('close() lets the running inference finish and refuses the queued ones with SW_EDGE_QUEUE_CLOSED', async (t) => {
  const w = watched(true);
  const queue = new DetectorQueue(w.detector);
  const first = queue.detect(frame('cam-a', 0));
  const second = t.rejects(queue.detect(frame('cam-b', 0)), { code: 'SW_EDGE_QUEUE_CLOSED' });
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const closed = queue.close();
  w.release();
  t.ok((await first).detections.length > 0, 'the running one completes');
  await second;
  await closed;
  await t.rejects(queue.detect(frame('cam-c', 0)), { code: 'SW_EDGE_QUEUE_CLOSED' }, 'no new work after close');
  t.same(w.order, ['cam-a#0']);
  await queue.close(); // idempotent
});
