/**
 * Contract messages from the stages' decisions: DetectionEvent from a rule-engine violation event
 * and CameraHealth from a source health transition, validated against the schemas.
 */
import { validate } from '@streetwatch/schemas';
import t from 'tap';
import { cameraHealthOf, detectionEventOf, type CameraContext } from '../../src/pipeline/events.js';
import type { ViolationEvent } from '../../src/rules/engine.js';

const ctx: CameraContext = {
  gatewayId: 'gw-1',
  cameraId: 'cam-03',
  siteId: 'site-1',
  gridId: 'grid-3',
  communityId: 'comm-2',
  labels: { street: 'Jiefang Rd' },
  zones: new Map([
    ['S1', { shopId: 'shop-42', gridId: 'grid-4' }],
    ['P1', {}],
  ]),
  model: { name: 'centernet', version: 'sha256:bfb942eaacc5' },
};

const violation = (o: Partial<ViolationEvent> = {}): ViolationEvent => ({
  phase: 'start',
  violationId: 'v-0123456789abcdef0123456789abcdef',
  type: 'illegal_parking',
  cameraId: 'cam-03',
  zoneId: 'P1',
  trackId: 't7',
  objectClass: 'car',
  score: 0.8123456,
  bbox: { x: 0.5, y: 0.6, w: 0.3, h: 0.3333333333 },
  dwellSeconds: 61.23456,
  startedAt: new Date('2024-05-06T06:03:10.000Z'),
  eventTime: new Date('2024-05-06T06:04:11.500Z'),
  ...o,
});

t.test('a violation start becomes a valid DetectionEvent carrying the camera and zone context', async (t) => {
  const e = detectionEventOf(violation(), ctx, new Date('2024-05-06T06:04:12.000Z'));
  const r = validate('DetectionEvent', e);
  t.ok(r.ok, JSON.stringify(r));
  t.match(e, {
    schemaVersion: 1,
    phase: 'start',
    gatewayId: 'gw-1',
    cameraId: 'cam-03',
    zoneId: 'P1',
    siteId: 'site-1',
    gridId: 'grid-3',
    communityId: 'comm-2',
    trackId: 't7',
    labels: { street: 'Jiefang Rd' },
    eventTime: '2024-05-06T06:04:11.500Z',
    processedAt: '2024-05-06T06:04:12.000Z',
    startedAt: '2024-05-06T06:03:10.000Z',
    model: { name: 'centernet', version: 'sha256:bfb942eaacc5' },
    score: 0.8123,
    dwellSeconds: 61.235,
  });
  t.equal(e.bbox.h, 0.33333, 'boxes rounded to 5 decimals');
  t.notOk('shopId' in e, 'no shop for a zone without one');
  t.notOk('evidence' in e);
});

t.test('a zone with its own shop and grid overrides the camera grid', async (t) => {
  const e = detectionEventOf(violation({ zoneId: 'S1', type: 'shopfront_spillover', objectClass: 'chair' }), ctx, new Date());
  t.match(e, { shopId: 'shop-42', gridId: 'grid-4' });
  t.ok(validate('DetectionEvent', e).ok);
});

t.test('eventIds are deterministic per (violation, phase, frame time) and differ between messages', async (t) => {
  const at = new Date();
  const start = detectionEventOf(violation(), ctx, at);
  t.equal(detectionEventOf(violation(), ctx, new Date(at.getTime() + 5000)).eventId, start.eventId, 'a replay of the same frame gets the same id');
  const update = detectionEventOf(violation({ phase: 'update', eventTime: new Date('2024-05-06T06:05:11.500Z') }), ctx, at);
  const end = detectionEventOf(violation({ phase: 'end', endReason: 'left', eventTime: new Date('2024-05-06T06:06:00.000Z') }), ctx, at);
  t.equal(new Set([start.eventId, update.eventId, end.eventId]).size, 3);
  t.equal(end.endReason, 'left');
  t.equal(update.violationId, start.violationId);
  const other = detectionEventOf(violation(), { ...ctx, gatewayId: 'gw-2' }, at);
  t.not(other.eventId, start.eventId, 'another gateway never collides');
});

t.test('evidence is attached as given', async (t) => {
  const evidence = { url: 'http://gw:8080/evidence/0b9f7c4e-54c1-4d3e-9a43-6f1d2a3b4c5d.jpg', sha256: 'a'.repeat(64), contentType: 'image/jpeg' as const, bytes: 1234 };
  const e = detectionEventOf(violation(), ctx, new Date(), evidence);
  t.same(e.evidence, evidence);
  t.ok(validate('DetectionEvent', e).ok);
});

t.test('a source health transition becomes a valid CameraHealth with its stats and the detector time', async (t) => {
  const h = cameraHealthOf(
    {
      cameraId: 'cam-03',
      status: 'offline',
      reason: 'SW_EDGE_CAMERA_AUTH',
      retryable: false,
      detail: `x${'y'.repeat(2000)}`,
      eventTime: new Date('2024-05-06T06:00:00.000Z'),
      retryInMs: 60_000,
      restarts: 1,
      stats: { decodedFps: 1.98765, lastFrameAgeSeconds: 12.34567 },
    },
    'gw-1',
    171.26,
  );
  t.ok(validate('CameraHealth', h).ok);
  t.match(h, { gatewayId: 'gw-1', cameraId: 'cam-03', status: 'offline', reason: 'SW_EDGE_CAMERA_AUTH', stats: { decodedFps: 1.988, lastFrameAgeSeconds: 12.346, detectorMs: 171.3 } });
  t.equal(h.detail?.length, 1024, 'detail trimmed to the contract bound');
  const again = cameraHealthOf({ cameraId: 'cam-03', status: 'online', reason: 'STREAM_OK', retryable: true, eventTime: new Date(), restarts: 1, stats: { decodedFps: 0, lastFrameAgeSeconds: 0 } }, 'gw-1');
  t.not(again.eventId, h.eventId);
  t.notOk(again.stats && 'detectorMs' in again.stats, 'no detector time before the first inference');
});
