import { readdirSync, readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t from 'tap';
import { parseCameraConfig } from '../../src/cameras/config.js';
import type { Frame } from '../../src/frame.js';
import { createFrameSource } from '../../src/source/create.js';
import type { CameraHealthEvent, FrameSource } from '../../src/source/types.js';
import { startRtspCamera, type Teardown } from '../support/rtsp-camera.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const video = scenePath('vtest-20s.mp4');

interface Harness {
  source: FrameSource;
  frames: { seq: number; width: number; height: number; bytes: number; eventTime: number; at: number }[];
  health: CameraHealthEvent[];
  registry: Registry;
  /** Every log line the source wrote (debug level and up). */
  logs: string[];
}

function startSource(t: Teardown, cameraId: string, sourceCfg: Record<string, unknown>, watchdog: Record<string, unknown> = {}): Harness {
  const cam = parseCameraConfig({
    id: cameraId,
    source: sourceCfg,
    analytic: { fps: 2, width: 320, height: 240 },
    watchdog: { firstFrameTimeoutMs: 8000, stallTimeoutMs: 4000, backoffInitialMs: 100, backoffMaxMs: 500, ...watchdog },
  });
  const registry = new Registry();
  const h: Harness = { source: undefined as unknown as FrameSource, frames: [], health: [], registry, logs: [] };
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      h.logs.push(chunk.toString());
      done();
    },
  });
  h.source = createFrameSource(cam, {
    registry,
    log: pino({ level: 'debug' }, sink),
    onFrame: (f: Frame) => {
      h.frames.push({ seq: f.seq, width: f.width, height: f.height, bytes: f.data.length, eventTime: f.eventTime.getTime(), at: Date.now() });
    },
    onHealth: (e) => h.health.push(e),
  });
  t.teardown(() => h.source.close());
  h.source.start();
  return h;
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as { value: number; labels: Record<string, string> }[] | undefined)?.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value;
}

t.test('the sub-stream of a digest-protected RTSP camera arrives as rgb24 frames of the analytic size', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const h = startSource(t, 'cam-rtsp-ok', { type: 'rtsp', url: camera.url('sub', null), username: camera.user, password: camera.password });
  await waitFor(() => h.frames.length >= 6, { timeoutMs: 20_000, what: '6 frames' });
  const first = h.frames[0]!;
  t.match(first, { width: 320, height: 240, bytes: 320 * 240 * 3 });
  t.same(h.frames.slice(0, 6).map((f) => f.seq), [0, 1, 2, 3, 4, 5]);
  for (let i = 1; i < h.frames.length; i++) t.ok(h.frames[i]!.eventTime >= h.frames[i - 1]!.eventTime, 'event time never goes back');
  t.ok(Math.abs(first.eventTime - first.at) < 1000, 'live event time is the arrival wall clock');
  t.same(h.health.map((e) => [e.status, e.reason]), [['online', 'STREAM_OK']]);
  t.equal(h.source.status().state, 'online');
  t.equal(await metric(h.registry, 'streetwatch_edge_camera_online', { camera: 'cam-rtsp-ok' }), 1);
  t.ok((await metric(h.registry, 'streetwatch_edge_camera_frames_total', { camera: 'cam-rtsp-ok' }))! >= 6);
  const fps = (await metric(h.registry, 'streetwatch_edge_camera_decoded_fps', { camera: 'cam-rtsp-ok' }))!;
  t.ok(fps > 0 && fps < 5, `decoded fps ${fps} reflects the 2 fps analytic rate`);
});

/** The pids of this process's ffmpeg children (Linux /proc). */
function ffmpegChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return stat.includes('(ffmpeg)') && Number(after[1]) === process.pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

t.test('the camera password is not in the ffmpeg process (argv, environment) nor in a log line, also with quote, colon, at, backslash and equals in it', async (t) => {
  const password = "Pa:ss'w@rd\\x=1";
  const camera = await startRtspCamera(t, { video, password });
  // The gateway's environment may hold it (passwordEnv): the child must not inherit it.
  process.env.SW_TEST_CAMERA_PASSWORD = password;
  t.teardown(() => delete process.env.SW_TEST_CAMERA_PASSWORD);
  const h = startSource(t, 'cam-rtsp-secret', { type: 'rtsp', url: camera.url('sub', null), username: camera.user, password });
  await waitFor(() => h.frames.length >= 2, { timeoutMs: 20_000, what: '2 frames (the escaped URL reached the camera)' });
  const pids = ffmpegChildren();
  t.equal(pids.length, 1, 'one ffmpeg child');
  const cmdline = readFileSync(`/proc/${pids[0]}/cmdline`, 'utf8').split('\0').join(' ');
  const environ = readFileSync(`/proc/${pids[0]}/environ`, 'utf8');
  t.match(cmdline, /-filter_complex_script pipe:3/, 'read the right process');
  for (const form of [password, encodeURIComponent(password), 'Pa%3Ass', "w%40rd"]) {
    t.notOk(cmdline.includes(form), `argv without ${form}`);
    t.notOk(environ.includes(form), `environment without ${form}`);
  }
  t.notOk(environ.includes('SW_TEST_CAMERA_PASSWORD'), 'the gateway environment is not passed on');
  t.notOk(h.logs.some((l) => l.includes('Pa:ss') || l.includes('Pa%3Ass')), 'not in a log line');
});

t.test('a wrong password is reported once as SW_EDGE_CAMERA_AUTH and retried on the slow schedule, not in a loop', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const authBackoffMs = 1500;
  const h = startSource(
    t,
    'cam-rtsp-badpw',
    { type: 'rtsp', url: camera.url('sub', { user: camera.user, password: 'wrong-Passw0rd' }) },
    { authBackoffMs, authBackoffMaxMs: 10_000, jitter: 0.1 },
  );
  const offline = await waitFor(() => h.health.find((e) => e.status === 'offline'), { timeoutMs: 10_000, what: 'offline event' });
  const offlineAt = Date.now();
  t.equal(offline.reason, 'SW_EDGE_CAMERA_AUTH');
  t.equal(offline.retryable, false);
  t.ok(offline.retryInMs! >= authBackoffMs * 0.9, `next try in ${offline.retryInMs} ms, not the fast 100 ms`);
  t.notMatch(offline.detail ?? '', /wrong-Passw0rd/, 'the password is not in the event');
  t.equal(h.source.status().spawns, 1);
  // the second attempt comes only after the auth backoff, and fails the same way without a new event
  await waitFor(() => h.source.status().restarts >= 2, { timeoutMs: 10_000, what: 'second auth failure' });
  t.ok(Date.now() - offlineAt >= authBackoffMs * 0.9 - 50, 'second attempt waited for the auth backoff');
  t.equal(h.source.status().spawns, 2);
  t.same(h.health.map((e) => [e.status, e.reason]), [['offline', 'SW_EDGE_CAMERA_AUTH']], 'one offline event, no flapping');
  t.equal(await metric(h.registry, 'streetwatch_edge_camera_restarts_total', { camera: 'cam-rtsp-badpw', reason: 'SW_EDGE_CAMERA_AUTH' }), 2);
  t.equal(await metric(h.registry, 'streetwatch_edge_camera_online', { camera: 'cam-rtsp-badpw' }), 0);
  t.ok(h.logs.some((l) => /starting ffmpeg/.test(l) && /\*\*\*:\*\*\*@127\.0\.0\.1/.test(l)), 'the ffmpeg command is logged, redacted');
  t.ok(h.logs.some((l) => /camera offline/.test(l) && /SW_EDGE_CAMERA_AUTH/.test(l) && /"cameraId":"cam-rtsp-badpw"/.test(l)));
  t.notOk(h.logs.some((l) => l.includes('wrong-Passw0rd')), 'the password never reaches a log line');
});

t.test('killing the RTSP server takes the camera offline; bringing it back on the same port brings it online with frames', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const h = startSource(t, 'cam-rtsp-flaky', { type: 'hikvision', host: '127.0.0.1', port: camera.port, stream: 'sub', username: camera.user, password: camera.password });
  await waitFor(() => h.frames.length >= 2, { timeoutMs: 20_000, what: 'frames before the outage' });
  await camera.stop();
  const offline = await waitFor(() => h.health.find((e) => e.status === 'offline'), { timeoutMs: 15_000, what: 'offline event' });
  t.ok(['SW_EDGE_STREAM_ENDED', 'SW_EDGE_CAMERA_UNREACHABLE', 'SW_EDGE_STREAM_STALLED'].includes(offline.reason), `offline because ${offline.reason}`);
  t.equal(offline.retryable, true);
  const framesAtOutage = h.frames.length;
  await camera.restart();
  await waitFor(() => h.health.filter((e) => e.status === 'online').length >= 2, { timeoutMs: 20_000, what: 'second online event' });
  await waitFor(() => h.frames.length >= framesAtOutage + 2, { timeoutMs: 10_000, what: 'frames after reconnect' });
  // offline may be reported again when its reason changes (stream ended -> connection refused)
  const statuses = h.health.map((e) => e.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
  t.same(
    statuses,
    ['online', 'offline', 'online'],
    `transitions: ${h.health.map((e) => `${e.status}:${e.reason}`).join(' ')}`,
  );
  t.ok(h.source.status().spawns >= 2);
});

t.test('a camera that stops sending without closing is restarted by the watchdog as SW_EDGE_STREAM_STALLED', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const h = startSource(
    t,
    'cam-rtsp-frozen',
    { type: 'rtsp', url: camera.url('sub') },
    { stallTimeoutMs: 1500, firstFrameTimeoutMs: 3000, killGraceMs: 500 },
  );
  await waitFor(() => h.frames.length >= 2, { timeoutMs: 20_000, what: 'frames before the freeze' });
  camera.freeze();
  const offline = await waitFor(() => h.health.find((e) => e.status === 'offline'), { timeoutMs: 10_000, what: 'offline event' });
  t.equal(offline.reason, 'SW_EDGE_STREAM_STALLED');
  const framesAtFreeze = h.frames.length;
  camera.resume();
  await waitFor(() => h.frames.length >= framesAtFreeze + 2, { timeoutMs: 20_000, what: 'frames after the thaw' });
  t.equal(h.health.at(-1)?.status, 'online');
  t.ok(h.source.status().spawns >= 2, 'ffmpeg was replaced');
});
