import t from 'tap';
import { parseCameraConfig } from '../../src/cameras/config.js';
import { createFrameSource } from '../../src/source/create.js';
import type { CameraHealthEvent } from '../../src/source/types.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const clip = scenePath('vtest-20s.mp4');
const origin = '2024-05-01T08:00:00.000Z';

t.test('a file replays faster than real time with a virtual clock of origin + n / fps, then ends', async (t) => {
  const cam = parseCameraConfig({
    id: 'cam-file',
    source: { type: 'file', path: clip, startTime: origin },
    analytic: { fps: 2, width: 192, height: 144 },
  });
  const times: number[] = [];
  const seqs: number[] = [];
  const health: CameraHealthEvent[] = [];
  let ended = false;
  const source = createFrameSource(cam, {
    // a slow consumer: the replay must wait for it rather than drop frames
    onFrame: async (f) => {
      t.equal(f.data.length, 192 * 144 * 3);
      times.push(f.eventTime.getTime());
      seqs.push(f.seq);
      await new Promise((r) => setTimeout(r, 2));
    },
    onHealth: (e) => health.push(e),
    onEnd: () => (ended = true),
  });
  t.teardown(() => source.close());
  source.start();
  await waitFor(() => ended, { timeoutMs: 30_000, what: 'end of the replay' });
  t.ok(times.length >= 39 && times.length <= 41, `20 s at 2 fps gives ~40 frames (got ${times.length})`);
  t.same(seqs, [...Array(times.length).keys()], 'no frame dropped');
  t.same(
    times.slice(0, 4).map((x) => new Date(x).toISOString()),
    ['2024-05-01T08:00:00.000Z', '2024-05-01T08:00:00.500Z', '2024-05-01T08:00:01.000Z', '2024-05-01T08:00:01.500Z'],
  );
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! !== 500) t.fail(`frame ${i} is not 500 ms after the previous`);
  t.equal(source.status().state, 'ended');
  t.same(health.map((e) => e.status), ['online'], 'the end of a replay is not a camera failure');
  t.equal(source.status().dropped, 0);
});

t.test('a looped file keeps going past its end and its virtual clock keeps counting', async (t) => {
  const cam = parseCameraConfig({
    id: 'cam-loop',
    source: { type: 'file', path: clip, loop: true, startTime: origin },
    analytic: { fps: 4, width: 64, height: 48 },
  });
  const times: number[] = [];
  const source = createFrameSource(cam, { onFrame: (f) => void times.push(f.eventTime.getTime()) });
  t.teardown(() => source.close());
  source.start();
  await waitFor(() => times.length >= 100, { timeoutMs: 30_000, what: '100 frames (25 s of a 20 s clip)' });
  await source.close();
  t.equal(times[99]! - times[0]!, 99 * 250, 'clock continues across the loop');
  t.equal(source.status().state, 'closed');
  t.equal(source.status().spawns, 1, 'looping is ffmpeg -stream_loop, not restarts');
});

t.test('a missing file goes offline as SW_EDGE_CAMERA_NOT_FOUND (not retryable) and close() stops the retries', async (t) => {
  const cam = parseCameraConfig({
    id: 'cam-nofile',
    source: { type: 'file', path: '/nonexistent/streetwatch.mp4' },
    watchdog: { backoffInitialMs: 50, backoffMaxMs: 100 },
  });
  const health: CameraHealthEvent[] = [];
  const source = createFrameSource(cam, { onFrame: () => {}, onHealth: (e) => health.push(e) });
  t.teardown(() => source.close());
  source.start();
  const off = await waitFor(() => health[0], { what: 'offline event' });
  t.match(off, { status: 'offline', reason: 'SW_EDGE_CAMERA_NOT_FOUND', retryable: false });
  await source.close();
  const spawns = source.status().spawns;
  await source.close(); // idempotent
  t.equal(source.status().state, 'closed');
  t.equal(source.status().spawns, spawns);
});
