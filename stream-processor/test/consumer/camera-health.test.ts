/**
 * Camera health through the broker: a `tampered` CameraHealth (a camera covered, blurred or moved,
 * as the edge reports it) becomes one `camera_tampered` alert for the camera's owner, with a
 * deterministic alertId (a replayed message gives the same alertId, which the router delivers once); online/offline stay history.
 */
import t from 'tap';
import { exampleCameraHealth, TOPICS, validate } from '@streetwatch/schemas';
import { testDatabase } from '@streetwatch/platform/testing';
import { alertId } from '../../src/rules/alert.js';
import { kafkaFor, readAlerts, startApp, waitFor } from '../support/app.js';

t.test('a tampered camera is one camera_tampered alert; online and offline are not alerts', async (t) => {
  const k = await kafkaFor(t, 'sphealth');
  const db = await testDatabase(t);
  await startApp(t, k, db, [{ id: 'repeat', kind: 'count', threshold: 3, window: '10m' }]);
  const tampered = exampleCameraHealth({
    eventId: 'h-tamper-1',
    cameraId: 'cam-09',
    status: 'tampered',
    reason: 'SW_EDGE_CAMERA_COVERED',
    detail: 'view covered since 2026-11-26T06:00:00.000Z: edge density 0.12 of the reference',
    eventTime: '2026-11-26T06:01:00.000Z',
  });
  await k.producer.send(TOPICS.cameraHealth, [
    exampleCameraHealth({ eventId: 'h-on', cameraId: 'cam-09', status: 'online', reason: 'STREAM_OK', eventTime: '2026-11-26T05:59:00.000Z' }),
    tampered,
    exampleCameraHealth({ eventId: 'h-off', cameraId: 'cam-08', status: 'offline', reason: 'SW_EDGE_STREAM_STALLED', eventTime: '2026-11-26T06:00:30.000Z' }),
  ]);
  await k.producer.send(TOPICS.cameraHealth, [tampered]); // a replay
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.equal(alerts.length, 1);
  const a = alerts[0]!;
  t.ok(validate('Alert', a).ok, 'a valid Alert');
  t.match(a, {
    alertId: alertId('camera-tamper', 'camera:cam-09', '2026-11-26T06:01:00.000Z'),
    type: 'camera_tampered',
    ruleKind: 'health',
    severity: 'warning',
    site: { cameraIds: ['cam-09'] },
    labels: { reason: 'SW_EDGE_CAMERA_COVERED' },
    eventTime: '2026-11-26T06:01:00.000Z',
  });
  t.match(a.title, /cam-09.*covered/);
  await waitFor('history row', async () => (await db.pool.query(`SELECT status FROM camera_status WHERE camera_id = 'cam-09'`)).rows[0]?.status === 'tampered');
  const raw = await k.readAll(TOPICS.alerts, (m) => m.length >= 2);
  t.same(new Set(raw.map((m) => (JSON.parse(m.value?.toString() ?? '{}') as { alertId: string }).alertId)), new Set([a.alertId]), 'the replay carries the same alertId: the router delivers it once');
});
