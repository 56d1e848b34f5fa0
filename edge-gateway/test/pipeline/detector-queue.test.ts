/**
 * The shared detector queue on the real model (centernet on wasm, in its worker thread):
 * inferences run at most `concurrency` at once, new cameras in arrival order, then by fair share
 * (least recently served camera first); the overload policy keeps one frame per camera and, when
 * full, drops the frame of the camera served most recently; under overload every camera is
 * analysed in turn; close() lets the running one finish and refuses the queued ones.
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

t.test('when maxWaiting frames wait of cameras never served, the oldest waiting frame is dropped for the new one (queue_full)', async (t) => {
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

t.test('fair share: a camera just analysed waits behind one that was not, even when its frame came first', async (t) => {
  const w = watched(true);
  const queue = new DetectorQueue(w.detector);
  const running = queue.detect(frame('cam-a', 0));
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const again = queue.detect(frame('cam-a', 1)); // cam-a was served: its next frame waits its turn
  const other = queue.detect(frame('cam-b', 0));
  w.release();
  await Promise.all([running, again, other]);
  t.same(w.order, ['cam-a#0', 'cam-b#0', 'cam-a#1'], 'cam-b first although cam-a#1 arrived earlier');
});

t.test('when full, the frame dropped is that of the camera served most recently, not the oldest one', async (t) => {
  const w = watched(true);
  const drops: string[] = [];
  const queue = new DetectorQueue(w.detector, { maxWaiting: 2, onDrop: (camera, reason) => drops.push(`${camera}:${reason}`) });
  const running = queue.detect(frame('cam-a', 0));
  await waitFor(() => w.order.length === 1, { what: 'the first inference to start' });
  const b = queue.detect(frame('cam-b', 0)); // oldest waiting, never served: kept
  const a = t.rejects(queue.detect(frame('cam-a', 1)), { code: 'SW_EDGE_FRAME_DROPPED', details: { cameraId: 'cam-a', reason: 'queue_full' } });
  const c = queue.detect(frame('cam-c', 0));
  await a;
  // and a camera served more recently than every waiting one is itself refused
  w.release();
  await Promise.all([running, b, c]);
  t.same(w.order, ['cam-a#0', 'cam-b#0', 'cam-c#0']);
  t.same(drops, ['cam-a:queue_full']);
});

t.test('under overload every camera is analysed in turn: none is starved', async (t) => {
  // Four live cameras, a new frame every 50 ms each (far more than one detector can do); each
  // awaits its frame's detection before sending the next, as a camera's pipeline does.
  const w = watched();
  const queue = new DetectorQueue(w.detector, { concurrency: 1, maxWaiting: 2 });
  const cameras = ['cam-a', 'cam-b', 'cam-c', 'cam-d'];
  let stop = false;
  const live = cameras.map(async (cam) => {
    for (let seq = 0; !stop; seq++) {
      const t0 = Date.now();
      await queue.detect(frame(cam, seq)).catch(() => undefined);
      const rest = 50 - (Date.now() - t0); // the camera's frame period
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
  });
  await waitFor(() => w.order.length >= 12, { what: '12 inferences', timeoutMs: 120_000 });
  stop = true;
  await Promise.all(live);
  await queue.close();
  const first12 = w.order.slice(0, 12).map((s) => s.split('#')[0]);
  const counts = cameras.map((c) => first12.filter((x) => x === c).length);
  t.ok(
    counts.every((n) => n >= 2 && n <= 4),
    `each camera got about a quarter of the first 12 inferences (fair share 3): ${cameras.map((c, i) => `${c} ${counts[i]}`).join(', ')}`,
  );
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
