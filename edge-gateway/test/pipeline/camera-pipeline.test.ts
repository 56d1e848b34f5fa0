/**
 * One camera pipeline on real components (motion gate, centernet on wasm, tracker, rules, sharp
 * evidence on disk, the SQLite outbox) fed by a source that reuses one frame buffer like the
 * sampler's ring. The scene: a frame of parking.mp4 with the car on the road, repeated (a quiet
 * street), so the motion gate only lets the detector run every maxIdleSeconds.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createRegistry, type Registry } from '@streetwatch/platform';
import { validate, type CameraHealth, type DetectionEvent } from '@streetwatch/schemas';
import sharp from 'sharp';
import t from 'tap';
import { analyticsFor, parseGatewayConfig } from '../../src/config/parse.js';
import type { AnalyticsConfig } from '../../src/config/schema.js';
import type { Frame } from '../../src/frame.js';
import { Outbox } from '../../src/outbox/index.js';
import { CameraPipeline, type CameraPipelineDeps } from '../../src/pipeline/camera-pipeline.js';
import { DetectorQueue } from '../../src/pipeline/detector-queue.js';
import { EvidenceRecorder } from '../../src/pipeline/evidence.js';
import { pipelineMetrics } from '../../src/pipeline/metrics.js';
import { decodeFrames } from '../detector/fixtures/media.js';
import { modelDir, realDetector } from '../support/detector.js';
import { captureLog, tempDir, type LogCapture, type Teardown } from '../e2e/fixtures/gateway.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';
import { ArraySource } from './fixtures/array-source.js';

const T0 = Date.parse('2024-05-06T06:00:00.000Z');
const [still] = await decodeFrames(scenePath('parking.mp4'), { fps: 1, count: 1, startSeconds: 20, cameraId: 'cam-q' });
if (!still) throw new Error('no frame decoded');
const quiet = (n: number): Frame[] => Array.from({ length: n }, (_, i) => ({ ...still, seq: i, eventTime: new Date(T0 + i * 1000) }));

const input = {
  gatewayId: 'gw-unit',
  outbox: { path: ':memory:' },
  evidence: {},
  detector: { modelDir: await modelDir(), backend: 'wasm' },
  analytics: { motion: { maxIdleSeconds: 3 }, tracker: { stationaryWindowSeconds: 2 } },
  cameras: [
    {
      id: 'cam-q',
      gridId: 'grid-3',
      source: { type: 'file', path: '/replaced-by-the-test-source.mp4' },
      zones: [{ id: 'P1', type: 'illegal_parking', shopId: 'shop-7', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 5 }],
    },
  ],
};
const raw = parseGatewayConfig(input);
const camera = raw.cameras[0]!;
const detector = await realDetector(t);

interface Harness {
  pipeline: CameraPipeline;
  source: ArraySource;
  outbox: Outbox;
  registry: Registry;
  logs: LogCapture;
  detections(): DetectionEvent[];
  health(): CameraHealth[];
}

async function harness(
  t: Teardown,
  frames: Frame[],
  model = { name: 'centernet', version: 'test' },
  analytics: Partial<AnalyticsConfig> = {},
  extra: Pick<CameraPipelineDeps, 'heartbeatIntervalMs'> = {},
): Promise<Harness> {
  const dir = await tempDir(t, 'edge-pipeline');
  const logs = captureLog('debug');
  const registry = createRegistry('edge-pipeline-test');
  const outbox = new Outbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20, maxPictureBytes: 1 << 24, maxAgeSeconds: 3600, lowWatermark: 0.9, maxRejected: 10 }, { log: logs.log, registry });
  outbox.start();
  t.teardown(() => outbox.close());
  const queue = new DetectorQueue(detector);
  let source: ArraySource | undefined;
  const pipeline = new CameraPipeline(camera, { ...analyticsFor(raw, camera), ...analytics }, {
    gatewayId: raw.gatewayId,
    model,
    detector: queue,
    evidence: new EvidenceRecorder({ prefix: 'edge/gw-unit/', quality: 80 }),
    sink: outbox,
    metrics: pipelineMetrics(registry),
    log: logs.log,
    registry,
    createSource: (cfg, deps) => (source = new ArraySource(cfg.id, frames, deps)),
    ...extra,
  });
  t.teardown(() => pipeline.stop());
  const records = (topic: string) => outbox.peek(1000).filter((r) => r.topic === topic).map((r) => JSON.parse(r.value) as unknown);
  return {
    pipeline,
    source: source!,
    outbox,
    registry,
    logs,
    detections: () => records('detections') as DetectionEvent[],
    health: () => records('cameraHealth') as CameraHealth[],
  };
}

/** The queued picture an event's evidence names (pictures wait in the outbox for the uploader). */
function pictureOf(h: Harness, ev: DetectionEvent['evidence']): Buffer | undefined {
  const key = ev !== undefined && 'key' in ev ? ev.key : undefined;
  return h.outbox.peekPictures(1000).find((p) => p.key === key)?.body;
}

t.test('on a quiet street the detector runs only every maxIdleSeconds, yet the rules step on every frame', async (t) => {
  const h = await harness(t, quiet(8));
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the 8 frames' });
  const stats = h.pipeline.stats();
  t.equal(stats.frames, 8);
  t.equal(stats.detectorRuns, 3, 'frames 0, 3 and 6 (first frame, then every 3 s without motion)');
  const [start, ...rest] = h.detections();
  t.same(rest, [], 'one message so far');
  if (!start) return t.fail('a start');
  t.ok(validate('DetectionEvent', start).ok, 'valid DetectionEvent');
  t.equal(start.eventTime, new Date(T0 + 5000).toISOString(), 'starts at 5 s: the 5 s dwell ran out on a frame the detector skipped');
  t.equal(start.startedAt, new Date(T0).toISOString(), 'dwell counted from when the car was first seen standing');
  t.match(start, { phase: 'start', type: 'illegal_parking', gatewayId: 'gw-unit', cameraId: 'cam-q', zoneId: 'P1', gridId: 'grid-3', shopId: 'shop-7' });
  t.match(start.model, { name: 'centernet', version: 'test' });
  const ev = start.evidence;
  t.ok(ev !== undefined && 'key' in ev && /^edge\/gw-unit\/\d{4}-\d\d-\d\d\/[0-9a-f-]{36}\.jpg$/.test(ev.key), 'evidence named by its object key under the box prefix');
  const pic = pictureOf(h, ev);
  t.ok(pic, 'its picture is queued in the outbox with the event');
  if (pic && ev) t.equal(createHash('sha256').update(pic).digest('hex'), ev.sha256, 'the sha256 in the event is the queued picture\'s');
  t.equal(stats.events.start, 1);
  t.equal(stats.openViolations, 1);
  t.equal(h.health().length, 1, 'the online transition is in the outbox too');
  t.ok(validate('CameraHealth', h.health()[0]).ok);
  t.match(await h.registry.getSingleMetricAsString('streetwatch_edge_frames_analysed_total'), /camera="cam-q",detector="skipped"[^}]*\} 5/);
});

t.test('the evidence is rendered while the frame is valid (the ring slot is zeroed right after)', async (t) => {
  const h = await harness(t, quiet(6));
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the frames' });
  const start = h.detections()[0];
  const pic = pictureOf(h, start?.evidence);
  if (!pic) return t.fail('a queued picture');
  const stats = await sharp(pic).stats();
  const mean = stats.channels.reduce((s, c) => s + c.mean, 0) / stats.channels.length;
  t.ok(mean > 40, `the JPEG shows the street (mean level ${mean.toFixed(0)}), not a zeroed buffer`);
});

t.test('at shutdown every open violation ends with reason shutdown and its last picture', async (t) => {
  const h = await harness(t, quiet(7));
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the frames' });
  await h.pipeline.stop();
  t.equal(await h.pipeline.closeViolations(), 1);
  const [start, end] = h.detections();
  if (!start || !end) return t.fail('start and end');
  t.match(end, { phase: 'end', endReason: 'shutdown', violationId: start.violationId });
  t.equal(end.eventTime, new Date(T0 + 6000).toISOString(), 'at the last frame time');
  t.same(end.evidence, start.evidence, 'the last picture of the violation');
  t.not(end.eventId, start.eventId);
  t.ok(validate('DetectionEvent', end).ok);
  t.equal(h.pipeline.stats().openViolations, 0);
  t.equal(await h.pipeline.closeViolations(), 0, 'nothing left to close');
});

t.test('a camera offline past its grace ends its open violations with reason camera_offline and its last picture', async (t) => {
  const h = await harness(t, quiet(7), undefined, { offlineGraceSeconds: 0.2 });
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the frames' });
  t.equal(h.pipeline.stats().openViolations, 1);
  h.source.health('offline');
  const end = await waitFor(() => h.detections().find((d) => d.phase === 'end'), { timeoutMs: 10_000, what: 'the camera_offline end' });
  const start = h.detections()[0]!;
  t.match(end, { endReason: 'camera_offline', violationId: start.violationId });
  t.equal(end.eventTime, new Date(T0 + 6000).toISOString(), 'at the last frame time (no frame since)');
  t.same(end.evidence, start.evidence, 'the last picture of the violation');
  t.ok(validate('DetectionEvent', end).ok);
  t.match(h.pipeline.stats(), { openViolations: 0, offlineEnds: 1 });
  t.notOk('offlineSince' in h.pipeline.stats(), 'the grace timer is done');
  t.ok(h.logs.entries().some((e) => e.msg === 'camera offline past its grace: open violations ended (camera_offline)'));
  await h.pipeline.stop();
  t.equal(await h.pipeline.closeViolations(), 0, 'nothing left for the shutdown');
});

t.test('a camera back online within its grace keeps its violations open', async (t) => {
  const h = await harness(t, quiet(7), undefined, { offlineGraceSeconds: 600 });
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the frames' });
  h.source.health('offline');
  t.ok(h.pipeline.stats().offlineSince, 'the grace timer runs while the camera is offline');
  h.source.health('online');
  t.notOk('offlineSince' in h.pipeline.stats(), 'back online: the timer is cancelled');
  t.match(h.pipeline.stats(), { openViolations: 1, offlineEnds: 0 });
  await h.pipeline.stop();
  const ends = (await h.pipeline.closeViolations(), h.detections().filter((d) => d.phase === 'end'));
  t.match(ends, [{ endReason: 'shutdown' }], 'the violation was still open at shutdown');
});

t.test('an event that fails its contract is logged and counted, never written to the outbox', async (t) => {
  const h = await harness(t, quiet(6), { name: '', version: 'test' }); // model.name '' violates the contract
  h.pipeline.start();
  await waitFor(() => h.source.status().state === 'ended', { timeoutMs: 30_000, what: 'the frames' });
  t.same(h.detections(), [], 'nothing appended');
  t.equal(h.pipeline.stats().invalidEvents, 1);
  t.match(await h.registry.getSingleMetricAsString('streetwatch_edge_events_invalid_total'), /contract="DetectionEvent"[^}]*\} 1/);
  const line = h.logs.entries().find((e) => e.code === 'SW_EDGE_EVENT_INVALID');
  t.ok(line, 'logged with its code');
  t.equal(h.health().length, 1, 'health still flows');
});

t.test('every heartbeat interval the camera\'s last reported state is re-stated (heartbeat: true), at the time it is said', async (t) => {
  t.equal(raw.health.heartbeatIntervalSeconds, 60, 'default: once a minute');
  t.throws(() => parseGatewayConfig({ ...input, health: { heartbeatIntervalSeconds: 1 } }), { code: 'SW_CONFIG_INVALID', message: /health\.heartbeatIntervalSeconds: must be >= 5/ });
  const h = await harness(t, [], undefined, {}, { heartbeatIntervalMs: 40 });
  h.pipeline.start();
  t.equal(h.pipeline.heartbeat(), false, 'nothing reported yet: nothing to re-state');
  const t0 = Date.now();
  h.source.health('offline');
  const beats = (status: string) => h.health().filter((e) => e.heartbeat === true && e.status === status);
  await waitFor(() => beats('offline').length >= 2, { timeoutMs: 10_000, what: 'two heartbeats' });
  const [change, ...rest] = h.health();
  t.match(change, { status: 'offline', reason: 'SW_EDGE_STREAM_STALLED' });
  t.notOk(change && 'heartbeat' in change, 'the change itself is no heartbeat');
  for (const b of rest.slice(0, 2)) {
    t.ok(validate('CameraHealth', b).ok, 'a valid CameraHealth');
    t.match(b, { status: 'offline', reason: 'SW_EDGE_STREAM_STALLED', cameraId: 'cam-q', gatewayId: 'gw-unit', heartbeat: true });
    t.ok(Date.parse(b.eventTime) >= t0 && Date.parse(b.eventTime) <= Date.now(), 'event time: when it was said (the gateway clock), not the change\'s');
  }
  t.not(rest[0]?.eventId, rest[1]?.eventId, 'each heartbeat its own id');
  t.ok(Date.parse(rest[1]!.eventTime) > Date.parse(rest[0]!.eventTime));

  h.source.health('online');
  await waitFor(() => beats('online').length >= 1, { timeoutMs: 10_000, what: 'a heartbeat after the change' });
  t.match(beats('online')[0], { reason: 'STREAM_OK' }, 'the new state is what is re-stated');
  t.equal(h.pipeline.stats().healthEvents, 2, 'two changes');
  t.ok(h.pipeline.stats().heartbeats >= 3);
  t.match(await h.registry.getSingleMetricAsString('streetwatch_edge_health_heartbeats_total'), /camera="cam-q"[^}]*\} ([3-9]|\d{2,})$/m);
  await h.pipeline.stop();
  const n = h.health().length;
  t.equal(h.pipeline.heartbeat(), false, 'stopped: no heartbeat');
  t.equal(h.health().length, n);
});
