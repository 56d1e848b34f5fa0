/**
 * A Kafka outage in the middle of a live violation, on the real pipeline: a digest-protected RTSP
 * camera (gst-rtsp-server) serving the parking scene (a real car standing on the road from 10 s
 * to 40 s), ffmpeg, centernet in its worker thread, tracker, rules, the disk outbox and the
 * publisher, against a private Kafka broker that is stopped after the violation's start reached
 * it and started again after updates were written while it was down. Waits are bounded and driven
 * by what the gateway logged or published, never by the clock.
 */
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createKafka, createLogger, decodeContract, provisionTopics } from '@streetwatch/platform';
import { startPrivateBroker, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { TOPICS, topicName, type DetectionEvent } from '@streetwatch/schemas';
import t from 'tap';
import { startRtspCamera } from '../support/rtsp-camera.js';
import { scenePath } from '../support/video.js';
import { captureLog, startTestGateway, tempDir, testConfig } from './fixtures/gateway.js';

/** Every DetectionEvent on `topic` from the beginning, until `count` arrived (bounded). */
async function readDetections(kafka: Kafka, topic: string, count: number, timeoutMs: number): Promise<DetectionEvent[]> {
  const consumer = kafka.consumer({ groupId: uniqueId('outage-live-reader'), allowAutoTopicCreation: false });
  const got: DetectionEvent[] = [];
  const invalid: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const r = decodeContract('DetectionEvent', message.value);
        if (r.ok) got.push(r.value);
        else invalid.push(r.reason);
      },
    });
    await waitFor(`${count} detections on ${topic}`, () => got.length >= count, { timeoutMs });
    if (invalid.length > 0) throw new Error(`invalid messages: ${invalid.join('; ')}`);
    return got;
  } finally {
    await consumer.disconnect();
  }
}

t.test('a broker stopped mid-violation and restarted gets every event of the violation (start, updates, end) exactly once, in order', async (t) => {
  const broker = await startPrivateBroker(t);
  const kafka = createKafka({ ...broker.security, brokers: broker.brokers, clientId: 'outage-live-test', connectionTimeout: 2000, retries: 2 }, createLogger({ name: 'outage-live', level: 'silent' }));
  const admin = kafka.admin();
  await admin.connect();
  t.teardown(() => admin.disconnect());
  const prefix = `${uniqueId('outage-live')}.`;
  await provisionTopics(admin, [TOPICS.detections, TOPICS.cameraHealth], { prefix });
  await admin.disconnect();

  const camera = await startRtspCamera(t, { video: scenePath('parking.mp4') });
  const dir = await tempDir(t, 'edge-outage-live');
  const logs = captureLog();
  const gateway = await startTestGateway(
    t,
    await testConfig(dir, { brokers: broker.brokers, prefix }, {
      analytics: { tracker: { lostMemorySeconds: 5, stationaryWindowSeconds: 5 }, updateIntervalSeconds: 3 },
      cameras: [
        {
          id: 'cam-03',
          source: { type: 'rtsp', url: camera.url('main', null), username: camera.user, password: camera.password },
          analytic: { fps: 1, width: 640, height: 480 },
          watchdog: { firstFrameTimeoutMs: 8000, stallTimeoutMs: 4000, backoffInitialMs: 200, backoffMaxMs: 1000 },
          zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 8, gapSeconds: 5 }],
        },
      ],
    }),
    logs.log,
  );
  const outbox = gateway.outbox;
  if (!outbox) throw new Error('no outbox');
  /** What the pipeline appended to the outbox for violations, in order (its log lines). */
  const appended = (): { violationId: string; phase: string }[] =>
    logs.entries().flatMap((e) => (typeof e.violationId === 'string' && /^violation (start|update|end)$/.test(String(e.msg)) ? [{ violationId: e.violationId, phase: String(e.phase) }] : []));

  const start = await waitFor('the violation start', () => appended().find((e) => e.phase === 'start'), { timeoutMs: 90_000 });
  const ours = (): string[] => appended().filter((e) => e.violationId === start.violationId).map((e) => e.phase);
  await waitFor('the start published (outbox empty)', () => outbox.depth() === 0, { timeoutMs: 20_000 });

  await broker.stop();
  const atStop = ours().length;
  await waitFor('updates appended while the broker is down', () => ours().length >= atStop + 2, { timeoutMs: 30_000 });
  const duringOutage = ours().length - atStop;
  t.ok(outbox.depth() >= duringOutage, `the outbox holds them (depth ${outbox.depth()})`);

  await broker.start(); // same port: the publisher reconnects by itself
  await waitFor('the violation end', () => ours().includes('end'), { timeoutMs: 60_000 });
  // The server loops the scene: stop it before the car comes round again as a second violation.
  await camera.stop();
  await waitFor('the outbox drained after the outage', () => outbox.depth() === 0 && gateway.status().kafka, { timeoutMs: 60_000 });

  const phases = ours();
  const topic = topicName(TOPICS.detections, prefix);
  const total = appended().length;
  const got = await readDetections(kafka, topic, total, 30_000);
  const mine = got.filter((d) => d.violationId === start.violationId);
  t.comment(`violation ${start.violationId}: ${phases.join(' ')} (${duringOutage} appended during the outage); ${got.length} detections on the topic, ${total} appended`);
  t.equal(got.length, total, 'the topic holds exactly what the pipeline appended, no more (no duplicate after the reconnect)');
  t.same(mine.map((d) => d.phase), phases, 'every event of the violation, in the order the pipeline made them');
  t.equal(phases[0], 'start');
  t.equal(phases.at(-1), 'end');
  t.ok(phases.filter((p) => p === 'update').length >= 2, 'updates in between');
  t.equal(new Set(mine.map((d) => d.eventId)).size, mine.length, 'each eventId once');
  const times = mine.map((d) => Date.parse(d.eventTime));
  t.ok(times.every((x, i) => i === 0 || x > times[i - 1]!), 'event times strictly increase');
  t.equal(outbox.rejected().length, 0, 'nothing rejected');
});
