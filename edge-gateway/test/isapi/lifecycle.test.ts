/** Camera smart events -> start / update / end of one violation, on the gateway's ids and reasons. */
import t from 'tap';
import { parseAlert, type IsapiAlert } from '../../src/isapi/alert.js';
import { CameraEventLifecycle } from '../../src/isapi/lifecycle.js';
import { alertXml, type AlertFields } from '../support/isapi-camera.js';

const T0 = Date.parse('2026-12-06T05:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString().replace('.000Z', '+00:00');
const alert = (f: AlertFields): IsapiAlert => parseAlert('application/xml', Buffer.from(alertXml(f)));
const lc = () =>
  new CameraEventLifecycle('cam-7', {
    events: { parking: { type: 'illegal_parking', zoneId: 'hik-P1', creditSeconds: 30 }, regionEntrance: { type: 'street_vendor', zoneId: 'hik-R1', objectClass: 'person', creditSeconds: 0 } },
    endAfterSeconds: 60,
    updateIntervalSeconds: 20,
    channel: 1,
  });

t.test('repeated active alerts are one violation: start, updates at most every interval, end on inactive', async (t) => {
  const l = lc();
  const s = l.onAlert(alert({ eventType: 'parking', dateTime: at(0), regions: [{ id: 1, targetType: 'vehicle', points: [[100, 100], [300, 300]] }] }), T0);
  t.equal(s.outcome, 'mapped');
  t.equal(s.events.length, 1);
  const start = s.events[0]!;
  t.match(start, { phase: 'start', type: 'illegal_parking', zoneId: 'hik-P1', objectClass: 'vehicle', cameraId: 'cam-7', dwellSeconds: 30 });
  t.equal(start.startedAt.toISOString(), new Date(T0 - 30_000).toISOString(), 'the camera\'s own confirmation time is credited');
  t.same(l.onAlert(alert({ eventType: 'parking', dateTime: at(10), regions: [{ id: 1, points: [[100, 100], [300, 300]] }] }), T0 + 10_000).events, [], 'within the update interval');
  const u = l.onAlert(alert({ eventType: 'parking', dateTime: at(25), regions: [{ id: 1, points: [[100, 100], [300, 300]] }] }), T0 + 25_000).events;
  t.match(u, [{ phase: 'update', violationId: start.violationId, dwellSeconds: 55 }]);
  const e = l.onAlert(alert({ eventType: 'parking', eventState: 'inactive', dateTime: at(40), regions: [{ id: 1, points: [[100, 100], [300, 300]] }] }), T0 + 40_000).events;
  t.match(e, [{ phase: 'end', endReason: 'left', violationId: start.violationId, dwellSeconds: 70 }]);
  t.equal(l.openCount, 0);
});

t.test('a pulse event with no inactive ends after endAfterSeconds of silence (lost)', async (t) => {
  const l = lc();
  const [start] = l.onAlert(alert({ eventType: 'regionEntrance', dateTime: at(0) }), T0).events;
  t.same(l.tick(T0 + 59_000), []);
  t.match(l.tick(T0 + 60_000), [{ phase: 'end', endReason: 'lost', violationId: start!.violationId, objectClass: 'person' }]);
});

t.test('different regions are different violations; other channels, unmapped types and heartbeats change nothing', async (t) => {
  const l = lc();
  const a = l.onAlert(alert({ eventType: 'parking', dateTime: at(0), regions: [{ id: 1, points: [[0, 0], [10, 10]] }] }), T0).events[0]!;
  const b = l.onAlert(alert({ eventType: 'parking', dateTime: at(0), regions: [{ id: 2, points: [[0, 0], [10, 10]] }] }), T0).events[0]!;
  t.not(a.violationId, b.violationId);
  t.equal(l.onAlert(alert({ eventType: 'parking', channelID: 2, dateTime: at(1) }), T0).outcome, 'other_channel');
  t.equal(l.onAlert(alert({ eventType: 'VMD', dateTime: at(1) }), T0).outcome, 'unmapped');
  t.equal(l.onAlert(alert({ eventType: 'videoloss', eventState: 'inactive', activePostCount: 0 }), T0).outcome, 'heartbeat');
  t.equal(l.onAlert(alert({ eventType: 'regionEntrance', eventState: 'inactive' }), T0).outcome, 'ignored', 'an inactive without an open violation');
  t.equal(l.openCount, 2);
  t.match(l.close('shutdown'), [{ phase: 'end', endReason: 'shutdown' }, { phase: 'end', endReason: 'shutdown' }]);
});

t.test('the violationId is the same on a replay of the same alerts', async (t) => {
  const f = { eventType: 'parking', dateTime: at(0), regions: [{ id: 3, points: [[0, 0], [10, 10]] as [number, number][] }] };
  t.equal(lc().onAlert(alert(f), T0).events[0]!.violationId, lc().onAlert(alert(f), T0 + 5000).events[0]!.violationId);
});
