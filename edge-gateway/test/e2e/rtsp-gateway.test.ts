/**
 * The gateway end to end on real components: a digest-protected RTSP camera (gst-rtsp-server)
 * serving a scene composed from the real vtest walkway (`dump-basic` of the quality scenes: a box
 * left on the grass from 10 s to 50 s), ffmpeg, the centernet model, the real Kafka broker.
 * One gateway with two cameras on the same server: one with the right password (read from a
 * passwordFile at load) and the scene's dumping zone (short dwell), one with a wrong password.
 * (Until session 5 this test expected a street_vendor start on the bare walkway: right only under
 * the old vendor rule, where any passer-by next to any blob was a vendor; issue 11.)
 * The subtests run in order on the same gateway (the last one kills the server).
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readObject, stackS3Client, testKafka, waitFor } from '@streetwatch/platform/testing';
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { decodeLiveChunk, parseLiveFromGateway, type LiveHello } from '@streetwatch/schemas';
import { startRtspCamera } from '../support/rtsp-camera.js';
import { loadScenes, makeScenes } from '../../../bench/quality/evaluate.js';
import { captureLog, collectEdgeTopics, startTestGateway, tempDir, testConfig } from './fixtures/gateway.js';

const scene = loadScenes().find((s) => s.id === 'dump-basic');
const dumpZone = scene?.zones.find((z) => z.id === 'D');
if (!dumpZone) throw new Error('quality scene dump-basic with its zone D');
const video = join(makeScenes(['dump-basic']), 'dump-basic.mp4');
const k = await testKafka(t, { label: 'edge-rtsp' });
const topics = await collectEdgeTopics(t, k);
const camera = await startRtspCamera(t, { video });
const dir = await tempDir(t, 'edge-rtsp');
const logs = captureLog();
const store = stackS3Client(t, 'admin');
const WRONG = 'wrong-Secret-42';
const passwordFile = join(dir, 'cam-walkway.pw');
await writeFile(passwordFile, `${camera.password}\n`, { mode: 0o600 });
// The router's side of the live link, checking what the box sends against the contract (schemas/src/live.ts).
const LIVE_TOKEN = 'live-token-0123456789abcdef';
const liveTokenFile = join(dir, 'live.token');
await writeFile(liveTokenFile, `${LIVE_TOKEN}\n`, { mode: 0o600 });
const routerSide = new WebSocketServer({ host: '127.0.0.1', port: 0 });
await once(routerSide, 'listening');
t.teardown(() => new Promise((r) => routerSide.close(r)));
const live: { auth?: string; gateway?: string; hello?: LiveHello; socket?: WebSocket; chunks: Array<{ cameraId: string; key: boolean }>; states: string[]; invalid: number } = {
  chunks: [],
  states: [],
  invalid: 0,
};
routerSide.on('connection', (ws, req) => {
  live.auth = req.headers.authorization;
  live.gateway = String(req.headers['x-streetwatch-gateway']);
  live.socket = ws;
  ws.on('message', (data, binary) => {
    const buf = data as Buffer;
    if (binary) {
      const c = decodeLiveChunk(buf);
      if (c.ok) live.chunks.push({ cameraId: c.value.cameraId, key: c.value.key });
      else live.invalid++;
      return;
    }
    const m = parseLiveFromGateway(buf.toString('utf8'));
    if (!m.ok) live.invalid++;
    else if (m.value.type === 'hello') live.hello = m.value;
    else live.states.push(m.value.state);
  });
});
const gateway = await startTestGateway(
  t,
  await testConfig(dir, k, {
    live: { routerUrl: `ws://127.0.0.1:${(routerSide.address() as { port: number }).port}/live/gateway`, tokenFile: liveTokenFile, width: 320, idleStopMs: 1000 },
    health: { heartbeatIntervalSeconds: 5 }, // the shortest allowed: heartbeats on Kafka within the test
    analytics: {
      // the box is a static blob from ~10 s; confirmed after 3 s
      staticObjects: { confirmSeconds: 3 },
      tracker: { lostMemorySeconds: 5 },
      updateIntervalSeconds: 5,
    },
    cameras: [
      {
        id: 'cam-walkway',
        siteId: 'site-1',
        gridId: 'grid-3',
        communityId: 'comm-9',
        source: { type: 'rtsp', url: camera.url('sub', null), username: camera.user, passwordFile },
        analytic: { fps: 2, width: 384, height: 288 },
        watchdog: { firstFrameTimeoutMs: 8000, stallTimeoutMs: 4000, backoffInitialMs: 200, backoffMaxMs: 1000 },
        zones: [{ ...dumpZone, dwellSeconds: 2, gapSeconds: 3 }],
      },
      {
        id: 'cam-badpw',
        source: { type: 'hikvision', host: '127.0.0.1', port: camera.port, username: camera.user, password: WRONG },
        analytic: { fps: 2, width: 384, height: 288 },
        watchdog: { authBackoffMs: 1500, authBackoffMaxMs: 3000, backoffInitialMs: 200, backoffMaxMs: 1000 },
      },
    ],
  }),
  logs.log,
);

t.test('the camera goes online on Kafka and a dumping start with its evidence JPEG reaches the real broker', async (t) => {
  const online = await waitFor('online CameraHealth of cam-walkway', () => topics.health.find((h) => h.cameraId === 'cam-walkway' && h.status === 'online'), {
    timeoutMs: 30_000,
  });
  t.match(online, { gatewayId: 'gw-test', reason: 'STREAM_OK', schemaVersion: 1 });
  const start = await waitFor('a dumping start on Kafka', () => topics.detections.find((d) => d.cameraId === 'cam-walkway' && d.phase === 'start'), {
    timeoutMs: 60_000,
  });
  t.match(start, { type: 'dumping', zoneId: 'D', gatewayId: 'gw-test', siteId: 'site-1', gridId: 'grid-3', communityId: 'comm-9', model: { name: 'centernet' } });
  t.match(start.violationId, /^v-[0-9a-f]{32}$/);
  t.ok(start.dwellSeconds >= 2, `dwell ${start.dwellSeconds} s >= the zone's 2 s`);
  t.ok(Date.parse(start.processedAt) >= Date.parse(start.eventTime), 'processed after the frame was taken');
  t.equal(topics.keys.detections[topics.detections.indexOf(start)], 'cam-walkway', 'keyed by cameraId');

  const evidence = start.evidence;
  if (!evidence) return t.fail('the start carries evidence');
  if (!('key' in evidence)) return t.fail('evidence named by object key');
  t.match(evidence.key, /^edge\/box-a\/\d{4}-\d\d-\d\d\/[0-9a-f-]{36}\.jpg$/, 'under the box prefix');
  const jpeg = await waitFor('the picture in the evidence store', () => readObject(store.s3, store.bucket, evidence.key), { timeoutMs: 30_000 });
  t.same([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
  t.equal(createHash('sha256').update(jpeg).digest('hex'), evidence.sha256, 'sha256 in the event matches the stored object');
  t.equal(jpeg.length, evidence.bytes);
  t.equal((await fetch(`${gateway.url}/evidence/x.jpg`)).status, 404, 'the box serves no pictures');
  t.same(topics.invalid, [], 'every message on both topics satisfies its contract');

  const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
  t.match(metrics, /streetwatch_edge_camera_online\{camera="cam-walkway"[^}]*\} 1/);
  t.match(metrics, /streetwatch_edge_camera_detector_ms\{camera="cam-walkway"[^}]*\} \d/);
  t.match(metrics, /streetwatch_edge_camera_last_frame_age_seconds\{camera="cam-walkway"/);
  t.match(metrics, /streetwatch_edge_camera_decoded_fps\{camera="cam-walkway"/);
  t.match(metrics, /streetwatch_edge_events_total\{camera="cam-walkway",type="dumping",phase="start"[^}]*\} [1-9]/);
  t.match(metrics, /streetwatch_edge_outbox_depth/);
  t.match(metrics, /streetwatch_edge_outbox_oldest_age_seconds/);
  t.match(metrics, /streetwatch_edge_events_produced_total/);
  const ready = await fetch(`${gateway.url}/readyz`);
  t.equal(ready.status, 200);
  t.match(metrics, /streetwatch_edge_camera_analysed_ratio\{camera="cam-walkway"[^}]*\} [01]/);
  const status = (await (await fetch(`${gateway.url}/status`)).json()) as {
    detectorBackend?: { name: string; execution: string };
    detectorOverloaded: unknown;
    cameras: { id: string; state: string; pipeline: { detectorRuns: number; analysis: { ratio: number; analysedFps: number } } }[];
  };
  t.match(status.detectorBackend, { name: /^(tensorflow|wasm)$/, execution: /^(graph|ops)$/ }, '/status names the backend the detector runs on');
  t.type(status.detectorOverloaded, 'boolean', '/status says whether the box is overloaded');
  t.match(status.cameras.find((c) => c.id === 'cam-walkway'), { state: 'online', pipeline: { analysis: { ratio: Number, analysedFps: Number } } });
  t.ok((status.cameras.find((c) => c.id === 'cam-walkway')?.pipeline.detectorRuns ?? 0) > 0, '/status shows the detector working');
});

t.test('the live view: the box connects out with its token, announces its cameras, streams one while it is watched', async (t) => {
  await waitFor('the live hello', () => live.hello, { timeoutMs: 15_000 });
  t.equal(live.auth, `Bearer ${LIVE_TOKEN}`, 'authenticated as this gateway (token from live.tokenFile)');
  t.equal(live.gateway, 'gw-test');
  t.same(live.hello, { type: 'hello', gatewayId: 'gw-test', cameras: ['cam-walkway', 'cam-badpw'], maxStreams: 2 });
  t.equal(live.chunks.length, 0, 'no video while nobody watches');
  live.socket?.send(JSON.stringify({ type: 'watch', cameraId: 'cam-walkway', viewers: 1 }));
  await waitFor('live video', () => live.chunks.length >= 3, { timeoutMs: 15_000 });
  t.ok(live.chunks[0]?.key && live.chunks.every((c) => c.cameraId === 'cam-walkway'), 'the watched camera, from a picture group on');
  t.match(gateway.status().live, { routerConnected: true, streams: 1 });
  live.socket?.send(JSON.stringify({ type: 'watch', cameraId: 'cam-walkway', viewers: 0 }));
  await waitFor('the idle stop, told to the router', () => live.states.includes('stopped'), { timeoutMs: 10_000 });
  t.same(live.states, ['starting', 'streaming', 'stopped']);
  t.equal(gateway.status().live?.streams, 0);
  t.equal(live.invalid, 0, 'every message within the contract');
});

t.test('a wrong password is logged as SW_EDGE_CAMERA_AUTH, goes offline on Kafka, and is retried slowly while the gateway keeps working', async (t) => {
  const offline = await waitFor('offline CameraHealth of cam-badpw', () => topics.health.find((h) => h.cameraId === 'cam-badpw' && h.status === 'offline'), {
    timeoutMs: 20_000,
  });
  t.equal(offline.reason, 'SW_EDGE_CAMERA_AUTH');
  t.notMatch(offline.detail ?? '', WRONG, 'the password is not in the event');
  const authLine = logs.entries().find((e) => e.cameraId === 'cam-badpw' && e.reason === 'SW_EDGE_CAMERA_AUTH' && e.msg === 'camera offline');
  t.ok(authLine, 'a clear log line names the camera and the code');
  // bounded restarts: the slow schedule (1.5 s, then 3 s) -- not a tight loop
  const bad = gateway.camera('cam-badpw');
  await waitFor('a second attempt', () => (bad?.status().spawns ?? 0) >= 2, { timeoutMs: 10_000 });
  const status = bad?.status();
  t.ok(status && status.spawns <= 8, `${status?.spawns} ffmpeg starts so far: bounded`);
  t.equal(status?.state, 'offline');
  t.equal(topics.health.filter((h) => h.cameraId === 'cam-badpw' && h.heartbeat !== true).length, 1, 'one offline event (heartbeats re-state it), no flapping');
  t.equal(gateway.camera('cam-walkway')?.status().state, 'online', 'the other camera keeps running');
  t.notOk(logs.lines.some((l) => l.includes(WRONG)), 'the wrong password never reaches a log line');
  t.notOk(logs.lines.some((l) => l.includes(camera.password)), 'nor the right one');
});

t.test('every heartbeat interval each camera\'s state is re-stated on Kafka (heartbeat: true), the dark one\'s too', async (t) => {
  // the gateway has run for more than a 5-s interval by now: no waiting in the usual case
  const beat = (cameraId: string) => () => topics.health.find((h) => h.cameraId === cameraId && h.heartbeat === true);
  const walkway = await waitFor('a heartbeat of cam-walkway', beat('cam-walkway'), { timeoutMs: 20_000 });
  const dark = await waitFor('a heartbeat of cam-badpw', beat('cam-badpw'), { timeoutMs: 20_000 });
  t.match(walkway, { status: 'online', reason: 'STREAM_OK', gatewayId: gateway.config.gatewayId });
  t.match(dark, { status: 'offline', reason: 'SW_EDGE_CAMERA_AUTH' }, 'the camera that never came up is re-stated offline');
  const i = topics.health.indexOf(walkway);
  t.equal(topics.keys.health[i], 'cam-walkway', 'keyed by camera like every health message');
  t.ok(walkway.stats !== undefined && walkway.stats.decodedFps > 0, 'with the stream statistics of that moment');
});

t.test('killing the RTSP server sends offline, and bringing it back sends online again, on Kafka', async (t) => {
  const before = topics.health.length;
  // the changes: heartbeats (the state re-stated every minute) may come in between
  const changes = () => topics.health.slice(before).filter((h) => h.cameraId === 'cam-walkway' && h.heartbeat !== true);
  await camera.stop();
  const offline = await waitFor(
    'offline CameraHealth after the kill',
    () => changes().find((h) => h.status === 'offline'),
    { timeoutMs: 20_000 },
  );
  t.ok(['SW_EDGE_STREAM_ENDED', 'SW_EDGE_CAMERA_UNREACHABLE', 'SW_EDGE_STREAM_STALLED'].includes(offline.reason), `offline because ${offline.reason}`);
  await camera.restart();
  const online = await waitFor(
    'online CameraHealth after the restart',
    () => changes().find((h) => h.status === 'online'),
    { timeoutMs: 30_000 },
  );
  t.ok(Date.parse(online.eventTime) > Date.parse(offline.eventTime), 'online comes after offline');
  const sequence = changes().map((h) => h.status);
  t.equal(sequence.indexOf('offline'), 0, `offline first: ${sequence.join(' ')}`);
  t.same(topics.invalid, []);
  const frames = gateway.camera('cam-walkway')?.stats().frames ?? 0;
  await waitFor('frames after the reconnect', () => (gateway.camera('cam-walkway')?.stats().frames ?? 0) > frames + 1, { timeoutMs: 15_000 });
});
