import t from 'tap';
import { TOPICS, type DetectionEvent, type ShopScoreChange } from '@streetwatch/schemas';
import { testDatabase } from '@streetwatch/platform/testing';
import { alertId } from '../../src/rules/alert.js';
import { at, det, inspection } from '../support/events.js';
import { kafkaFor, metric, readAlerts, startApp, waitFor } from '../support/app.js';

t.test('count through the broker: a window completed by a late start within grace fires; a start beyond grace goes to the late topic', async (t) => {
  const k = await kafkaFor(t, 'spcount');
  const db = await testDatabase(t);
  const app = await startApp(t, k, db, [{ id: 'repeat', kind: 'count', threshold: 3, window: '10m', grace: '5m' }]);
  await k.producer.send(TOPICS.detections, [
    det({ vid: 'p1', t: 0 }),
    det({ vid: 'p2', t: 180 }),
    det({ vid: 'q1', t: 60, zone: 'P3' }),
    det({ vid: 'q2', t: 120, zone: 'P3' }),
    det({ vid: 'other', t: 720, zone: 'P2' }),
    det({ vid: 'p3', t: 480 }),
    det({ vid: 'q3', t: 180, zone: 'P3' }),
  ]);
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.same(alerts.map((a) => a.alertId), [alertId('repeat', 'zone:cam-03/P1:illegal_parking', at(0))]);
  t.same(alerts[0]?.violationIds, ['p1', 'p2', 'p3']);
  const late = await k.readAll(TOPICS.detectionsLate, (m) => m.length >= 1);
  t.same(late.map((m) => (JSON.parse(m.value?.toString() ?? '{}') as DetectionEvent).violationId), ['q3']);
  t.equal(late[0]?.headers?.['sw-late']?.toString(), 'beyond-grace');
  await waitFor('late metric', async () => (await metric(k, 'streetwatch_processor_late_events_total', { rule: 'repeat' })) === 1);
  // Ops endpoints on the same run.
  const metrics = await (await fetch(`${app.url}/metrics`)).text();
  for (const name of [
    'streetwatch_processor_consumer_lag{',
    'streetwatch_processor_events_total{',
    'streetwatch_processor_alerts_total{',
    'streetwatch_processor_late_events_total{',
    'streetwatch_processor_open_state{',
    'streetwatch_processor_sink_seconds_bucket{',
  ]) {
    t.ok(metrics.includes(name), `/metrics has ${name}`);
  }
  await waitFor('ready', async () => (await fetch(`${app.url}/readyz`)).status === 200);
  const rows = await waitFor('alert row in history', async () => (await db.pool.query('SELECT alert_id FROM alerts')).rows);
  t.equal(rows.length, 1, 'the alert is in the history sink too');
});

t.test('dwell through the broker: an end cancels; a quiet partition is advanced by the punctuator and the timer fires', async (t) => {
  const k = await kafkaFor(t, 'spdwell');
  const db = await testDatabase(t);
  await startApp(t, k, db, [{ id: 'dwell30', kind: 'dwell', minDuration: '30s' }]);
  await k.producer.send(TOPICS.detections, [
    det({ vid: 'brief', t: 0 }),
    det({ vid: 'brief', phase: 'end', t: 10, started: 0 }),
    // Stationary since 0 s; reported at 28 s; nothing follows on this partition.
    det({ vid: 'long', t: 28, started: 0 }),
  ]);
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.same(alerts.map((a) => a.violationIds[0]), ['long'], 'only the violation that lasted 30 s');
  t.equal(alerts[0]?.eventTime, new Date(at(30)).toISOString(), 'fired at start + 30 s of event time');
  t.ok((await metric(k, 'streetwatch_processor_watermark_seconds', { input: 'detections' })) >= at(30) / 1000, 'the watermark moved on without events');
  await waitFor('no open timers left', async () => (await metric(k, 'streetwatch_processor_open_state', { kind: 'timers' })) === 0);
});

t.test('score through the broker: colour changes on the shop-scores topic, a red alert, and an inspection bringing the shop down', async (t) => {
  const k = await kafkaFor(t, 'spscore');
  const db = await testDatabase(t);
  await startApp(t, k, db, [
    { id: 'shop', kind: 'score', weights: { shopfront_spillover: 30 }, halfLife: '1h', thresholds: { yellow: 40, red: 80 } },
  ]);
  const spill = (vid: string, s: number) => det({ vid, t: s, type: 'shopfront_spillover', shop: 'S17', cam: 'cam-05' });
  await k.producer.send(TOPICS.detections, [spill('v1', 0), spill('v2', 10), spill('v3', 20)]);
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.equal(alerts[0]?.type, 'shop_red');
  t.equal(alerts[0]?.site.shopId, 'S17');
  t.same(alerts[0]?.violationIds, ['v1', 'v2', 'v3']);
  await k.producer.send(TOPICS.inspections, [inspection({ id: 'visit-1', shop: 'S17', t: 30, points: -60 })]);
  const changes = await k.readAll(TOPICS.shopScores, (m) => m.length >= 3);
  const seq = changes.map((m) => JSON.parse(m.value?.toString() ?? '{}') as ShopScoreChange).map((c) => `${c.previousColour}>${c.colour}`);
  t.same(seq, ['green>yellow', 'yellow>red', 'red>green'], 'the inspection (-60) takes the shop from red to green');
  t.equal(changes[0]?.key?.toString(), 'S17', 'keyed by shop (compacted topic keeps the latest)');
  const rows = await waitFor('score changes in history', async () => {
    const r = await db.pool.query('SELECT colour FROM shop_score_changes ORDER BY event_time');
    return r.rows.length === 3 ? r.rows : undefined;
  });
  t.same(rows.map((r: { colour: string }) => r.colour), ['yellow', 'red', 'green']);
});

t.test('malformed and schema-invalid messages go to the DLQ with their reason and processing continues', async (t) => {
  const k = await kafkaFor(t, 'spdlq');
  const db = await testDatabase(t);
  await startApp(t, k, db, [{ id: 'two', kind: 'count', threshold: 2, window: '10m' }]);
  const raw = k.kafka.producer();
  await raw.connect();
  t.teardown(() => raw.disconnect());
  const topic = `${k.prefix}${TOPICS.detections.name}`;
  await raw.send({
    topic,
    messages: [
      { key: 'cam-03', value: JSON.stringify(det({ vid: 'a', t: 0 })) },
      { key: 'cam-03', value: '{"eventId": "broken' },
      { key: 'cam-03', value: JSON.stringify({ ...det({ vid: 'bad', t: 1 }), score: 7 }) },
      { key: 'cam-03', value: JSON.stringify(det({ vid: 'b', t: 2 })) },
    ],
  });
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.same(alerts[0]?.violationIds, ['a', 'b'], 'the valid messages around the bad ones still count');
  const dead = await k.readAll(`${topic}.dlq`, (m) => m.length >= 2);
  const letters = dead.map((m) => JSON.parse(m.value?.toString() ?? '{}') as { code: string; reason: string; offset: string });
  t.same(letters.map((l) => l.code), ['SW_CONTRACT_MALFORMED_JSON', 'SW_CONTRACT_INVALID']);
  t.match(letters[1]?.reason, /\/score: must be <= 1/);
  t.equal(await metric(k, 'streetwatch_dlq_messages_total', { topic: TOPICS.detections.name }), 2);
});
