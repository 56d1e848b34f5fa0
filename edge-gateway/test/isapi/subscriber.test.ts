/**
 * The camera's own analytics end to end against a simulated Hikvision camera (a real HTTP server
 * with digest auth streaming multipart/mixed, test/support/isapi-camera.ts): smart events become
 * DetectionEvents of the gateway's lifecycle with `source: camera` and the camera's picture as
 * evidence; the subscription survives drops and stalls, heartbeats keep it alive, malformed parts
 * are skipped, a wrong password is one clear error retried slowly.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { validate, type DetectionEvent } from '@streetwatch/schemas';
import t from 'tap';
import { parseGatewayConfig } from '../../src/config/parse.js';
import { cameraEventContext, IsapiSubscriber, isapiMetrics, type ResolvedIsapiConfig } from '../../src/isapi/index.js';
import type { OutboxRecord, PictureRecord } from '../../src/outbox/index.js';
import { captureLog, tempDir, type Teardown } from '../e2e/fixtures/gateway.js';
import { IsapiCameraSimulator } from '../support/isapi-camera.js';
import { carStillPath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const picture = await readFile(carStillPath());

async function harness(t: Teardown, opts: { password?: string; isapi?: Record<string, unknown>; heartbeatMs?: number } = {}) {
  const sim = await IsapiCameraSimulator.start({ username: 'admin', password: 'Hik12345', heartbeatMs: opts.heartbeatMs ?? 200 });
  t.teardown(() => sim.close());
  const config = parseGatewayConfig({
    gatewayId: 'gw-isapi',
    outbox: { path: ':memory:' },
    evidence: {},
    detector: { modelDir: '/unused' },
    cameras: [
      {
        id: 'cam-hik',
        gridId: 'grid-3',
        source: { type: 'hikvision', host: '127.0.0.1', username: 'admin', password: opts.password ?? 'Hik12345' },
        isapi: {
          port: sim.port,
          events: { parking: { type: 'illegal_parking', zoneId: 'hik-P1', creditSeconds: 60, shopId: 'shop-9' }, unattendedBaggage: { type: 'dumping', zoneId: 'hik-D1' } },
          endAfterSeconds: 30,
          // generous: the test process shares a loaded 2-core machine (an event-loop pause is not a stall)
          stallTimeoutMs: 3000,
          backoffInitialMs: 100,
          backoffMaxMs: 400,
          pictureWaitMs: 2000,
          ...opts.isapi,
        },
      },
    ],
  });
  const cam = config.cameras[0]!;
  const isapi = cam.isapi as ResolvedIsapiConfig;
  const dir = await tempDir(t, 'isapi');
  const records: OutboxRecord[] = [];
  const pictures: PictureRecord[] = [];
  const logs = captureLog('debug');
  const registry = new Registry();
  const sub = new IsapiSubscriber(isapi, {
    context: cameraEventContext(cam, isapi, config.gatewayId),
    sink: { append: (r, p = []) => (records.push(...r), pictures.push(...p)) },
    evidencePrefix: 'edge/gw-isapi/',
    updateIntervalSeconds: 60,
    metrics: isapiMetrics(registry),
    log: logs.log,
  });
  t.teardown(() => sub.stop());
  sub.start();
  const events = () => records.map((r) => JSON.parse(r.value) as DetectionEvent);
  return { sim, sub, records, pictures, events, logs, dir, registry };
}

t.test('a smart event and its picture become a start with source camera and the picture as evidence; inactive ends it', async (t) => {
  const h = await harness(t);
  await waitFor(() => h.sim.openStreams === 1, { what: 'the gateway subscribed' });
  t.ok(h.sim.challenges >= 1, 'the camera challenged, the gateway answered with digest');
  h.sim.sendAlert({ eventType: 'parking', dateTime: '2026-12-06T13:00:00+08:00', regions: [{ id: 1, targetType: 'vehicle', points: [[200, 300], [500, 300], [500, 100], [200, 100]] }] });
  h.sim.sendPicture(picture);
  const [start] = await waitFor(() => h.events().length === 1 && h.events(), { what: 'start' });
  t.ok(validate('DetectionEvent', start).ok, 'valid against the contract');
  t.match(start, { phase: 'start', type: 'illegal_parking', source: 'camera', cameraId: 'cam-hik', zoneId: 'hik-P1', shopId: 'shop-9', gridId: 'grid-3', objectClass: 'vehicle', dwellSeconds: 60, model: { name: 'hikvision-isapi' } });
  t.equal(start!.eventTime, '2026-12-06T05:00:00.000Z', "event time is the camera's");
  t.equal(start!.startedAt, '2026-12-06T04:59:00.000Z');
  t.same(start!.bbox, { x: 0.2, y: 0.7, w: 0.3, h: 0.2 });
  const ev = start!.evidence!;
  t.equal(ev.sha256, createHash('sha256').update(picture).digest('hex'), "the camera's own picture, byte for byte");
  const key = 'key' in ev ? ev.key : '';
  t.match(key, /^edge\/gw-isapi\/2026-12-06\/[0-9a-f-]{36}\.jpg$/, 'named by its object key under the box prefix');
  t.same(h.pictures.find((p) => p.key === key)?.body, picture, 'queued with its event for the uploader');

  h.sim.sendAlert({ eventType: 'parking', eventState: 'inactive', dateTime: '2026-12-06T13:04:00+08:00', regions: [{ id: 1, points: [[200, 300], [500, 100]] }] });
  const all = await waitFor(() => h.events().length === 2 && h.events(), { what: 'end' });
  t.match(all[1], { phase: 'end', endReason: 'left', violationId: start!.violationId, source: 'camera', dwellSeconds: 300 });
  t.equal(all[1]!.evidence?.sha256, ev.sha256, "the end refers to the violation's last picture");
});

t.test('an event without a picture goes out after pictureWaitMs; JSON events are mapped the same', async (t) => {
  const h = await harness(t, { isapi: { pictureWaitMs: 100 } });
  await waitFor(() => h.sim.openStreams === 1, { what: 'subscribed' });
  h.sim.sendJsonAlert({ eventType: 'unattendedBaggage', dateTime: '2026-12-06T13:00:00+08:00' });
  const [e] = await waitFor(() => h.events().length === 1 && h.events(), { what: 'start' });
  t.match(e, { phase: 'start', type: 'dumping', zoneId: 'hik-D1', source: 'camera', objectClass: 'unattendedBaggage' });
  t.equal(e!.evidence, undefined);
});

t.test('heartbeats keep a quiet stream alive past the stall timeout; a stalled stream is reconnected', async (t) => {
  const h = await harness(t, { heartbeatMs: 200 });
  await waitFor(() => h.sim.openStreams === 1, { what: 'subscribed' });
  await waitFor(() => h.sub.stats().heartbeats >= 20, { what: '20 heartbeats (4 s, > the 3 s stall timeout)', timeoutMs: 15_000 });
  t.equal(h.sim.streamsOpened, 1, 'no reconnect while heartbeats flow');
  h.sim.stall();
  await waitFor(() => h.sim.streamsOpened === 2, { what: 'reconnect after the stall', timeoutMs: 10_000 });
  t.ok(h.logs.entries().some((e) => e.code === 'SW_EDGE_ISAPI_STALLED'), 'the stall is logged with its code');
  h.sim.resume();
  h.sim.sendAlert({ eventType: 'parking' });
  await waitFor(() => h.events().length === 1, { what: 'events flow on the new connection' });
});

t.test('a dropped connection is reconnected with backoff and events flow again', async (t) => {
  const h = await harness(t);
  await waitFor(() => h.sim.openStreams === 1, { what: 'subscribed' });
  h.sim.drop();
  await waitFor(() => h.sim.streamsOpened === 2 && h.sim.openStreams === 1, { what: 'reconnected' });
  h.sim.drop();
  await waitFor(() => h.sim.streamsOpened === 3 && h.sim.openStreams === 1, { what: 'reconnected again' });
  h.sim.sendAlert({ eventType: 'parking' });
  await waitFor(() => h.events().length === 1, { what: 'an event after the reconnects' });
  const disconnects = await h.registry.getSingleMetric('streetwatch_edge_isapi_disconnects_total')!.get();
  t.ok(disconnects.values.reduce((n, v) => n + v.value, 0) >= 2, 'disconnects counted');
});

t.test('a malformed part is logged and skipped; the parts after it are mapped', async (t) => {
  const h = await harness(t);
  await waitFor(() => h.sim.openStreams === 1, { what: 'subscribed' });
  h.sim.sendPart('application/xml', '<EventNotificationAlert><eventType>parking</eventType><eventState>act');
  h.sim.sendPart('application/json', '{"eventType": "parking", ');
  h.sim.sendAlert({ eventType: 'parking' });
  await waitFor(() => h.events().length === 1, { what: 'the good event after the bad parts' });
  t.equal(h.sub.stats().malformed, 2);
  const warned = h.logs.entries().filter((e) => e.code === 'SW_EDGE_ISAPI_PART_MALFORMED');
  t.equal(warned.length, 1, 'logged once (rate-limited), with what was wrong');
  t.match(String(warned[0]?.detail), /invalid XML/);
  t.equal(h.sim.streamsOpened, 1, 'the stream was not dropped for it');
});

t.test('a wrong password is one clear error, retried only on the slow schedule', async (t) => {
  const h = await harness(t, { password: 'wrong', isapi: { authBackoffMs: 60_000 } });
  await waitFor(() => h.sub.stats().lastError === 'SW_EDGE_CAMERA_AUTH', { what: 'auth failure' });
  const errors = h.logs.entries().filter((e) => e.code === 'SW_EDGE_CAMERA_AUTH');
  t.equal(errors.length, 1, 'one error line');
  t.equal(errors[0]?.level, 50);
  t.match(String(errors[0]?.msg), /rejected the credentials.*HTTP 401 for user "admin"/);
  t.notMatch(JSON.stringify(h.logs.entries()), /wrong/, 'the password is never logged');
  t.equal(h.sim.streamsOpened, 0);
  t.equal(h.sim.rejected, 1, 'one attempt: no hammering that would lock the account');
  t.equal(errors[0]?.retryInMs !== undefined && (errors[0].retryInMs as number) >= 48_000, true, 'next try on the auth backoff');
});
