/**
 * The composed parking scene through the whole gateway: parking.mp4 (the vtest walkway with a
 * real car still standing on the road from t=10 s to t=40 s) replayed by the file source faster
 * than real time on a virtual clock, 1 analytic fps, a no-parking zone on the road where the car
 * stands (not the van parked at the top right), a short dwell; events read back from the real
 * broker.
 */
import { createHash } from 'node:crypto';
import { readObject, stackS3Client, testKafka, waitFor } from '@streetwatch/platform/testing';
import t from 'tap';
import { scenePath } from '../support/video.js';
import { captureLog, collectEdgeTopics, startTestGateway, tempDir, testConfig } from './fixtures/gateway.js';

const ORIGIN = Date.parse('2024-05-06T06:00:00.000Z'); // 14:00 in Shanghai

t.test('a car standing 30 s in a no-parking zone gives exactly one illegal_parking violation, start and end, on Kafka', async (t) => {
  const k = await testKafka(t, { label: 'edge-parking' });
  const topics = await collectEdgeTopics(t, k);
  const dir = await tempDir(t, 'edge-parking');
  const logs = captureLog();
  const store = stackS3Client(t, 'admin');
  let ended = false;
  const raw = await testConfig(dir, k, {
    analytics: {
      tracker: { lostMemorySeconds: 5, stationaryWindowSeconds: 5 },
      updateIntervalSeconds: 10,
    },
    cameras: [
      {
        id: 'cam-03',
        gridId: 'grid-3',
        source: { type: 'file', path: scenePath('parking.mp4'), startTime: new Date(ORIGIN).toISOString() },
        analytic: { fps: 1, width: 640, height: 480 },
        zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0.5, 0.75], [1, 0.75], [1, 1], [0.5, 1]], dwellSeconds: 10, gapSeconds: 5 }],
      },
    ],
  });
  const gateway = await startTestGateway(t, raw, logs.log);
  await waitFor('the end of the replay', () => gateway.camera('cam-03')?.status().state === 'ended', { timeoutMs: 120_000 });
  ended = true;
  const end = await waitFor('the violation end on Kafka', () => topics.detections.find((d) => d.phase === 'end'), { timeoutMs: 20_000 });
  // everything the replay produced is on the broker once the outbox is empty
  await waitFor('outbox drained', () => gateway.outbox?.depth() === 0, { timeoutMs: 20_000 });
  const made = gateway.camera('cam-03')?.stats().events ?? { start: 0, update: 0, end: 0 };
  await waitFor('every record read back', () => topics.detections.length >= made.start + made.update + made.end, { timeoutMs: 10_000 });

  const rel = (iso: string): number => (Date.parse(iso) - ORIGIN) / 1000;
  t.comment(topics.detections.map((d) => `${rel(d.eventTime)}s ${d.phase} ${d.objectClass} ${d.trackId ?? ''} dwell=${d.dwellSeconds} ${d.endReason ?? ''}`).join('\n'));
  t.ok(ended);
  t.same(topics.invalid, [], 'every message satisfies its contract');
  const starts = topics.detections.filter((d) => d.phase === 'start');
  const ends = topics.detections.filter((d) => d.phase === 'end');
  t.equal(starts.length, 1, 'exactly one start');
  t.equal(ends.length, 1, 'exactly one end');
  const start = starts[0];
  if (!start) return;
  t.equal(end.violationId, start.violationId, 'start and end share the violationId');
  t.ok(topics.detections.every((d) => d.violationId === start.violationId), 'no other violation (pedestrians, the van)');
  t.match(start, { type: 'illegal_parking', cameraId: 'cam-03', zoneId: 'P1', gridId: 'grid-3', gatewayId: 'gw-test' });
  t.ok(['car', 'truck', 'bus'].includes(start.objectClass), start.objectClass);
  t.ok(rel(start.startedAt) >= 10 && rel(start.startedAt) <= 16, `stationary from ${rel(start.startedAt)} s (the car appears at 10 s)`);
  t.ok(rel(start.eventTime) >= 20 && rel(start.eventTime) <= 27, `start at ${rel(start.eventTime)} s (10 s dwell)`);
  t.ok(rel(end.eventTime) > 40 && rel(end.eventTime) <= 50, `end at ${rel(end.eventTime)} s (the car is gone at 40 s)`);
  t.ok(end.endReason === 'left' || end.endReason === 'lost', `end reason ${end.endReason}`);
  t.ok(end.dwellSeconds >= 20, `dwell ${end.dwellSeconds} s`);
  const ids = topics.detections.map((d) => d.eventId);
  t.equal(new Set(ids).size, ids.length, 'eventIds are unique');
  t.same(
    topics.detections.map((d) => d.eventTime),
    topics.detections.map((d) => d.eventTime).sort(),
    'in event-time order (one camera = one key = one partition)',
  );
  for (const d of topics.detections) {
    const ev = d.evidence;
    if (!ev || !('key' in ev)) {
      t.fail(`${d.phase} carries evidence by object key`);
      continue;
    }
    const jpeg = await waitFor(`${d.phase} picture in the evidence store`, () => readObject(store.s3, store.bucket, ev.key), { timeoutMs: 30_000 });
    t.equal(createHash('sha256').update(jpeg).digest('hex'), ev.sha256, `${d.phase} picture arrived whole (sha256)`);
  }
  t.ok(end.evidence?.sha256 !== start.evidence?.sha256, 'the end has its own picture (the spot, cleared)');
});
