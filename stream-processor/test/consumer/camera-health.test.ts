/**
 * The edge's camera signals through the broker, on one processor app:
 * - a `tampered` CameraHealth (a camera covered, blurred or moved, as the edge reports it) becomes
 *   one `camera_tampered` alert for the camera's owner, with a deterministic alertId (a replayed
 *   message gives the same alertId, which the router delivers once); online/offline stay history;
 *   heartbeats (the gateway re-stating a camera's state every minute) are never alerts, and move
 *   only the camera's last_seen;
 * - flow counts (streetwatch.flow-counts.v1) are rolled up per hour, a duplicate counted once, an
 *   invalid one dead-lettered with the reason.
 */
import t from 'tap';
import { exampleCameraHealth, exampleFlowCount, TOPICS, validate } from '@streetwatch/schemas';
import { testDatabase } from '@streetwatch/platform/testing';
import { alertId } from '../../src/rules/alert.js';
import { kafkaFor, readAlerts, startApp, waitFor } from '../support/app.js';

const k = await kafkaFor(t, 'sphealth');
const db = await testDatabase(t);
await startApp(t, k, db, [{ id: 'repeat', kind: 'count', threshold: 3, window: '10m' }]);

t.test('a tampered camera is one camera_tampered alert; online, offline and heartbeats (of a tampered camera too) are not alerts', async (t) => {
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
    { ...tampered, eventId: 'h-beat-1', heartbeat: true, eventTime: '2026-11-26T06:02:00.000Z' },
    { ...tampered, eventId: 'h-beat-2', heartbeat: true, eventTime: '2026-11-26T06:03:00.000Z' },
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
  const row = (await db.pool.query<{ since: Date; last_seen: Date }>(`SELECT since, last_seen FROM camera_status WHERE camera_id = 'cam-09'`)).rows[0];
  t.same([row?.since.toISOString(), row?.last_seen.toISOString()], ['2026-11-26T06:01:00.000Z', '2026-11-26T06:03:00.000Z'], 'tampered since the change, last heard at the last heartbeat');
  const seen = await k.registry.getSingleMetricAsString('streetwatch_processor_camera_last_seen_seconds');
  t.match(seen, new RegExp(`camera="cam-09",gateway="gw-xiaohe-01"[^}]*\\} ${Date.parse('2026-11-26T06:03:00Z') / 1000}$`, 'm'), 'last heard, for the silent-camera alert: the heartbeat\'s event time, not the replay\'s arrival');
  t.notMatch(seen, /camera="cam-08"/, 'no series for a camera that never sent a heartbeat (a gateway from before them): its silence means nothing');
  const raw = await k.readAll(TOPICS.alerts, (m) => m.length >= 2);
  t.same(new Set(raw.map((m) => (JSON.parse(m.value?.toString() ?? '{}') as { alertId: string }).alertId)), new Set([a.alertId]), 'the replay carries the same alertId: the router delivers it once');
});

t.test('flow counts are rolled up per hour; a duplicate counts once, an invalid one goes to the DLQ with the reason', async (t) => {
  const good = exampleFlowCount({ eventId: 'flow-cam-09-1', cameraId: 'cam-09', minute: '2026-11-26T06:03:00.000Z' }); // person 7 in / 4 out, vehicle 1 / 0
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  const topic = `${k.prefix}${TOPICS.flowCounts.name}`;
  await raw.send({
    topic,
    messages: [
      { key: 'cam-09', value: JSON.stringify(good) },
      { key: 'cam-09', value: JSON.stringify(good) }, // a duplicate from an at-least-once producer
      { key: 'cam-09', value: JSON.stringify({ ...good, eventId: 'flow-bad-1', minute: '2026-11-26T06:03:20.000Z' }) },
    ],
  });
  const sum = async () => (await db.pool.query<{ n: number | null }>(`SELECT sum(count)::int AS n FROM flow_counts_hourly WHERE camera_id = 'cam-09'`)).rows[0]?.n;
  await waitFor('hourly rows', async () => (await sum()) === 12);
  const dlq = await k.readAll(`${topic}.dlq`, (m) => m.length >= 1);
  t.match(JSON.parse(dlq[0]?.value?.toString() ?? '{}'), { code: 'SW_CONTRACT_INVALID', reason: /\/minute/ });
  const rows = await db.pool.query(`SELECT object_class, direction, count::int AS n FROM flow_counts_hourly WHERE camera_id = 'cam-09' ORDER BY 1, 2`);
  t.same(rows.rows, [
    { object_class: 'person', direction: 'in', n: 7 },
    { object_class: 'person', direction: 'out', n: 4 },
    { object_class: 'vehicle', direction: 'in', n: 1 },
    { object_class: 'vehicle', direction: 'out', n: 0 },
  ], 'the duplicate counted once, the invalid one not at all');
});
