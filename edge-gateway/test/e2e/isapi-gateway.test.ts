/**
 * The camera's own analytics through the whole gateway to the real Kafka broker: a camera whose
 * video is analysed by the gateway (a looped file here) and whose smart events arrive over ISAPI
 * from a simulated Hikvision camera (test/support/isapi-camera.ts). A parking event with its
 * picture is a DetectionEvent on streetwatch.detections.v1 like any other (same contract, key,
 * lifecycle), with source camera and the picture served by the gateway's evidence route; at
 * shutdown the open camera violation ends (shutdown).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readObject, stackS3Client, testKafka, waitFor } from '@streetwatch/platform/testing';
import t from 'tap';
import { IsapiCameraSimulator } from '../support/isapi-camera.js';
import { carStillPath, scenePath } from '../support/video.js';
import { captureLog, collectEdgeTopics, startTestGateway, tempDir, testConfig } from './fixtures/gateway.js';

const k = await testKafka(t, { label: 'edge-isapi' });
const topics = await collectEdgeTopics(t, k);
const sim = await IsapiCameraSimulator.start({ username: 'admin', password: 'Hik12345', heartbeatMs: 1000 });
t.teardown(() => sim.close());
const dir = await tempDir(t, 'edge-isapi');
const logs = captureLog();
const store = stackS3Client(t, 'admin');
const picture = await readFile(carStillPath());
const gateway = await startTestGateway(
  t,
  await testConfig(dir, k, {
    cameras: [
      {
        id: 'cam-hik-07',
        gridId: 'grid-5',
        source: { type: 'file', path: scenePath('vtest-20s.mp4'), loop: true, realtime: true },
        analytic: { fps: 1, width: 384, height: 288 },
        isapi: {
          host: '127.0.0.1',
          port: sim.port,
          username: 'admin',
          password: 'Hik12345',
          events: { parking: { type: 'illegal_parking', zoneId: 'hik-P1', creditSeconds: 60 } },
        },
      },
    ],
  }),
  logs.log,
);

t.test('a parking event with its picture reaches the broker as a DetectionEvent with source camera', async (t) => {
  await waitFor('the gateway subscribed', () => sim.openStreams === 1, { timeoutMs: 30_000 });
  sim.sendAlert({ eventType: 'parking', dateTime: '2026-12-06T13:00:00+08:00', regions: [{ id: 1, targetType: 'vehicle', points: [[200, 300], [500, 300], [500, 100], [200, 100]] }] });
  sim.sendPicture(picture);
  const start = await waitFor('the start on Kafka', () => topics.detections.find((d) => d.source === 'camera'), { timeoutMs: 30_000 });
  t.match(start, { phase: 'start', type: 'illegal_parking', cameraId: 'cam-hik-07', zoneId: 'hik-P1', gridId: 'grid-5', gatewayId: 'gw-test', objectClass: 'vehicle', source: 'camera' });
  t.equal(topics.keys.detections[topics.detections.indexOf(start)], 'cam-hik-07', 'keyed by camera like every detection');
  const ev = start.evidence;
  if (!ev || !('key' in ev)) return t.fail('evidence by object key');
  const body = await waitFor('the picture in the evidence store', () => readObject(store.s3, store.bucket, ev.key), { timeoutMs: 30_000 });
  t.equal(createHash('sha256').update(body).digest('hex'), ev.sha256);
  t.same(body, picture, "the camera's own picture, uploaded to the evidence store");
  t.same(topics.invalid, []);
  t.match(gateway.status().cameras[0]?.cameraEvents, { connected: true, openViolations: 1, events: { start: 1 } });
});

t.test('at shutdown the open camera violation ends (shutdown) and reaches the broker', async (t) => {
  const report = await gateway.close(8000);
  t.ok(report.violationsClosed >= 1);
  const end = await waitFor('the end on Kafka', () => topics.detections.find((d) => d.source === 'camera' && d.phase === 'end'), { timeoutMs: 30_000 });
  t.match(end, { endReason: 'shutdown', zoneId: 'hik-P1' });
});
