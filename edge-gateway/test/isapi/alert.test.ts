/** EventNotificationAlert parts, XML and JSON, as Hikvision documents and sends them. */
import t from 'tap';
import { alertXml, HEARTBEAT } from '../support/isapi-camera.js';
import { AlertParseError, parseAlert, parseCameraTime, regionBox } from '../../src/isapi/alert.js';

t.test('a smart event in XML: type, state, channel, time, count and region (0-1000, origin bottom-left)', async (t) => {
  const a = parseAlert(
    'application/xml; charset="UTF-8"',
    Buffer.from(alertXml({ eventType: 'parking', channelID: 2, dateTime: '2026-12-06T13:00:05+08:00', activePostCount: 3, regions: [{ id: 4, targetType: 'vehicle', points: [[200, 100], [600, 100], [600, 500], [200, 500]] }] })),
  );
  t.match(a, { eventType: 'parking', active: true, channel: 2, activePostCount: 3, heartbeat: false, version: '2.0' });
  t.equal(a.dateTime?.toISOString(), '2026-12-06T05:00:05.000Z');
  t.equal(a.regions[0]?.id, '4');
  t.equal(a.regions[0]?.targetType, 'vehicle');
  const b = regionBox(a);
  t.same([b.x, b.y, b.w, b.h].map((v) => Math.round(v * 1000) / 1000), [0.2, 0.5, 0.4, 0.4], 'y flipped to a top-left origin');
  const top = regionBox(parseAlert('application/xml', Buffer.from(alertXml({ eventType: 'parking', regions: [{ id: 1, points: [[200, 100], [600, 500]] }] })), 'top-left'));
  t.equal(Math.round(top.y * 1000) / 1000, 0.1, 'top-left origin kept as is');
});

t.test('the idle heartbeat is recognised, and a real video loss is not one', async (t) => {
  t.equal(parseAlert('application/xml', Buffer.from(alertXml(HEARTBEAT))).heartbeat, true);
  t.equal(parseAlert('application/xml', Buffer.from(alertXml({ eventType: 'videoloss', eventState: 'active' }))).heartbeat, false);
});

t.test('an NVR alert is attributed to dynChannelID', async (t) => {
  const xml = '<EventNotificationAlert><channelID>1</channelID><dynChannelID>7</dynChannelID><eventType>linedetection</eventType><eventState>active</eventState></EventNotificationAlert>';
  t.equal(parseAlert('application/xml', Buffer.from(xml)).channel, 7);
});

t.test('the JSON form of newer firmware gives the same alert', async (t) => {
  const body = { ipAddress: '10.0.0.2', channelID: 1, dateTime: '2026-12-06T13:00:05+08:00', activePostCount: 1, eventType: 'unattendedBaggage', eventState: 'active', DetectionRegionList: [{ regionID: '2', RegionCoordinatesList: [{ positionX: 100, positionY: 900 }, { positionX: 300, positionY: 700 }] }] };
  const a = parseAlert('application/json', Buffer.from(JSON.stringify(body)));
  t.match(a, { eventType: 'unattendedBaggage', active: true, channel: 1, version: 'json' });
  t.equal(a.regions[0]?.points.length, 2);
  t.equal(a.dateTime?.toISOString(), '2026-12-06T05:00:05.000Z');
});

t.test('camera times: offsets of one digit are accepted, a time without a zone is not trusted', async (t) => {
  t.equal(parseCameraTime('2016-12-24T18:59:49-8:00')?.toISOString(), '2016-12-25T02:59:49.000Z');
  t.equal(parseCameraTime('2026-09-09T17:02:40'), undefined);
  t.equal(parseCameraTime('yesterday'), undefined);
});

t.test('malformed parts are errors that say what is wrong', async (t) => {
  const bad = (ct: string, s: string) => () => parseAlert(ct, Buffer.from(s));
  t.throws(bad('application/xml', '<EventNotificationAlert><eventType>parking</eventType'), AlertParseError);
  t.throws(bad('application/xml', '<EventNotificationAlert><eventType>parking</eventType><eventState>active</eventState'), /invalid XML/);
  t.throws(bad('application/xml', '<ResponseStatus><statusCode>4</statusCode></ResponseStatus>'), /not an EventNotificationAlert \(root: ResponseStatus\)/);
  t.throws(bad('application/xml', '<EventNotificationAlert><eventState>active</eventState></EventNotificationAlert>'), /without eventType/);
  t.throws(bad('application/xml', '<EventNotificationAlert><eventType>x</eventType><eventState>maybe</eventState></EventNotificationAlert>'), /eventState must be active or inactive/);
  t.throws(bad('application/json', '{"eventType": '), /invalid JSON/);
  t.throws(bad('application/xml', ''), /empty part/);
});
