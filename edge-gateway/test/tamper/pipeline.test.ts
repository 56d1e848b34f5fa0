/**
 * The tamper check inside one camera pipeline on real components (motion gate, centernet on wasm,
 * tracker, rules, sharp evidence, the SQLite outbox): a car stands in a no-parking zone (a frame of
 * parking.mp4, repeated), its violation starts; then the lens is covered: once the dwell has
 * passed a CameraHealth `tampered` (SW_EDGE_CAMERA_COVERED) is written, the open violation ends
 * with endReason camera_tampered and a picture of the covered view, and detection pauses; when
 * the view is back, VIEW_RESTORED, and the car becomes a new violation once it has dwelt again.
 */
import { join } from 'node:path';
import { createRegistry } from '@streetwatch/platform';
import { validate, type CameraHealth, type DetectionEvent } from '@streetwatch/schemas';
import sharp from 'sharp';
import t from 'tap';
import { analyticsFor, parseGatewayConfig } from '../../src/config/parse.js';
import type { Frame } from '../../src/frame.js';
import { Outbox } from '../../src/outbox/index.js';
import { CameraPipeline } from '../../src/pipeline/camera-pipeline.js';
import { DetectorQueue } from '../../src/pipeline/detector-queue.js';
import { EvidenceRecorder } from '../../src/pipeline/evidence.js';
import { pipelineMetrics } from '../../src/pipeline/metrics.js';
import { decodeFrames } from '../detector/fixtures/media.js';
import { captureLog, tempDir } from '../e2e/fixtures/gateway.js';
import { ArraySource } from '../pipeline/fixtures/array-source.js';
import { modelDir, realDetector } from '../support/detector.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const T0 = Date.parse('2024-05-06T06:00:00.000Z');
const [still] = await decodeFrames(scenePath('parking.mp4'), { fps: 1, count: 1, startSeconds: 20, cameraId: 'cam-t' });
if (!still) throw new Error('no frame decoded');
// the lens covered: a grey sheet with a little sensor noise
const covered = Buffer.from(still.data.map((_, i) => 58 + ((i * 2654435761) >>> 29)));
// 0-5 s the street (violation starts at 3 s), 6-11 s covered, 12-19 s the street again
const frames: Frame[] = Array.from({ length: 20 }, (_, i) => ({ ...still, seq: i, data: i >= 6 && i < 12 ? covered : still.data, eventTime: new Date(T0 + i * 1000) }));

const raw = parseGatewayConfig({
  gatewayId: 'gw-tamper',
  outbox: { path: ':memory:' },
  evidence: {},
  detector: { modelDir: await modelDir(), backend: 'wasm' },
  analytics: { motion: { maxIdleSeconds: 3 }, tracker: { stationaryWindowSeconds: 2 }, tamper: { learnSeconds: 3, dwellSeconds: 3, clearSeconds: 2 } },
  cameras: [
    {
      id: 'cam-t',
      source: { type: 'file', path: '/replaced-by-the-test-source.mp4' },
      zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 3 }],
    },
  ],
});
const camera = raw.cameras[0]!;
const detector = await realDetector(t);

t.test('a covered camera: tampered health event, its open violation ends (camera_tampered), detection pauses, the view comes back', async (t) => {
  const dir = await tempDir(t, 'edge-tamper');
  const logs = captureLog('debug');
  const registry = createRegistry('edge-tamper-test');
  const outbox = new Outbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20, maxPictureBytes: 1 << 24, maxAgeSeconds: 3600, lowWatermark: 0.9, maxRejected: 10 }, { log: logs.log, registry });
  outbox.start();
  t.teardown(() => outbox.close());
  let source: ArraySource | undefined;
  const tampered: string[] = [];
  const pipeline = new CameraPipeline(camera, analyticsFor(raw, camera), {
    gatewayId: raw.gatewayId,
    model: { name: 'centernet', version: 'test' },
    detector: new DetectorQueue(detector),
    evidence: new EvidenceRecorder({ prefix: 'edge/gw-tamper/', quality: 80 }),
    sink: outbox,
    metrics: pipelineMetrics(registry),
    log: logs.log,
    registry,
    createSource: (cfg, deps) => (source = new ArraySource(cfg.id, frames, deps)),
    onTampered: (id, at) => tampered.push(`${id}@${at.toISOString()}`),
  });
  t.teardown(() => pipeline.stop());
  pipeline.start();
  await waitFor(() => source?.status().state === 'ended', { timeoutMs: 120_000, what: 'the 20 frames' });
  const records = (topic: string) => outbox.peek(1000).filter((r) => r.topic === topic).map((r) => JSON.parse(r.value) as unknown);
  const detections = records('detections') as DetectionEvent[];
  const health = (records('cameraHealth') as CameraHealth[]).filter((h) => h.reason !== 'STREAM_OK');

  t.match(
    health.map((h) => [h.status, h.reason, (Date.parse(h.eventTime) - T0) / 1000]),
    [
      ['tampered', 'SW_EDGE_CAMERA_COVERED', 9],
      ['online', 'VIEW_RESTORED', 14],
    ],
    'tampered 3 s into the cover, restored 2 s after it went',
  );
  for (const h of health) t.ok(validate('CameraHealth', h).ok, `${h.reason} is a valid CameraHealth`);
  t.match(health[0]?.detail, /view covered since .*edge density 0\.\d+ of the reference/);

  const [start, end, again] = detections;
  t.match(start, { phase: 'start', zoneId: 'P1', eventTime: new Date(T0 + 3000).toISOString() });
  t.match(end, { phase: 'end', endReason: 'camera_tampered', violationId: start?.violationId, eventTime: new Date(T0 + 9000).toISOString() });
  t.ok(validate('DetectionEvent', end).ok);
  t.not(end?.evidence?.sha256, start?.evidence?.sha256, 'the end shows the covered view');
  const endKey = end?.evidence !== undefined && 'key' in end.evidence ? end.evidence.key : '';
  const endPicture = outbox.peekPictures(1000).find((p) => p.key === endKey)?.body;
  if (!endPicture) return t.fail('the end picture is queued in the outbox');
  const pic = await sharp(endPicture).stats();
  t.ok(pic.channels[0]!.stdev < 30, 'the end picture is the flat covered view');
  t.match(again, { phase: 'start', zoneId: 'P1' }, 'the car is a new violation after the view came back');
  t.not(again?.violationId, start?.violationId);
  t.ok(Date.parse(again!.eventTime) - T0 >= 17_000, 'once it has dwelt again after the restore');
  t.same(tampered, [`cam-t@${new Date(T0 + 9000).toISOString()}`], 'the gateway was told (to end the camera-analytics violations too)');
  t.equal(pipeline.stats().tamperEnds, 1);
  t.match(await registry.getSingleMetricAsString('streetwatch_edge_camera_tampered'), /camera="cam-t",reason="SW_EDGE_CAMERA_COVERED"[^}]*\} 0/);
});
