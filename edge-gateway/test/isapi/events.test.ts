/**
 * What a camera alert means: EventNotificationAlert parts (XML and JSON, as Hikvision documents and
 * sends them), the isapi config section, and the mapping into start / update / end of one violation.
 * And the multipart framing of the stream: every chunk size, bare LF, no Content-Length, quirks.
 */
import t from 'tap';
import { AlertParseError, parseAlert, parseCameraTime, regionBox, type IsapiAlert } from '../../src/isapi/alert.js';
import { CameraEventLifecycle } from '../../src/isapi/lifecycle.js';
import { alertXml, HEARTBEAT, type AlertFields } from '../support/isapi-camera.js';
import { parseGatewayConfig } from '../../src/config/parse.js';
import { boundaryOf, isPart, MultipartStreamParser, type ParseOutput } from '../../src/isapi/multipart.js';

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

const gateway = (cam: Record<string, unknown>, env: Record<string, string> = {}) =>
  parseGatewayConfig({ gatewayId: 'gw', outbox: { path: ':memory:' }, detector: { modelDir: '/x' }, cameras: [{ id: 'c1', ...cam }] }, 'gw.yaml', { env });

t.test('config: the isapi section takes host, user, password and channel from a hikvision source', async (t) => {
  const c = gateway({ source: { type: 'hikvision', host: '10.0.0.9', channel: 2, username: 'ops', passwordEnv: 'CAM_PW' }, isapi: { events: { parking: { type: 'illegal_parking', zoneId: 'z' } } } }, { CAM_PW: 's3cret' });
  t.match(c.cameras[0]!.isapi, { host: '10.0.0.9', port: 80, username: 'ops', password: 's3cret', channel: 2, path: '/ISAPI/Event/notification/alertStream', endAfterSeconds: 60 });
  t.notOk('passwordEnv' in c.cameras[0]!.isapi!, 'references resolved away');
});

t.test('config: problems of the isapi section are reported by key path, never with values', async (t) => {
  const problems = (cam: Record<string, unknown>, env: Record<string, string> = {}) => {
    try {
      gateway(cam, env);
      return [];
    } catch (e) {
      return (e as { errors: { path: string; message: string }[] }).errors.map((x) => `${x.path}: ${x.message}`);
    }
  };
  const rtsp = { type: 'rtsp', url: 'rtsp://10.0.0.9/s' };
  t.match(problems({ source: rtsp, isapi: { events: { parking: { type: 'illegal_parking', zoneId: 'z' } } } }), [/isapi\/host: is required/, /isapi\/username: is required/]);
  t.match(problems({ source: rtsp, isapi: { host: 'h', username: 'u', passwordEnv: 'NOPE', events: { parking: { type: 'illegal_parking', zoneId: 'z' } } } }), [/isapi\/passwordEnv: environment variable NOPE is not set/]);
  t.match(problems({ source: { type: 'hikvision', host: 'h', username: 'u', password: 'p' }, isapi: { events: {} } }), [/isapi\/events: maps no event type/]);
  t.match(problems({ source: { type: 'hikvision', host: 'h', username: 'u', password: 'p' }, isapi: { events: { parking: { type: 'parking_ticket', zoneId: 'z' } } } }), [/isapi\/events\/parking\/type/]);
  t.match(problems({ source: { type: 'hikvision', host: 'h', username: 'u', password: 'p' }, isapi: { evnts: {} } }), [/isapi/]);
});

const event = Buffer.from(alertXml({ eventType: 'parking', regions: [{ id: 1, points: [[100, 200], [300, 400]] }] }));
const heartbeat = Buffer.from(alertXml(HEARTBEAT));
// a "JPEG" whose bytes contain the delimiter text, not at the start of a line
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('xx--boundary\r\nContent-Type: x\r\n'), Buffer.from([0, 1, 0xff, 0xd9])]);

function stream(parts: { type: string; body: Buffer; length?: boolean }[], opts: { end?: string; delimiter?: string; preamble?: string } = {}): Buffer {
  const d = opts.delimiter ?? '--boundary';
  const nl = opts.end ?? '\r\n';
  const chunks: Buffer[] = [Buffer.from(opts.preamble ?? '')];
  for (const p of parts) {
    chunks.push(Buffer.from(`${d}${nl}Content-Type: ${p.type}\r\n${p.length === false ? '' : `Content-Length: ${p.body.length}\r\n`}\r\n`), p.body, Buffer.from('\r\n'));
  }
  return Buffer.concat(chunks);
}

function feed(p: MultipartStreamParser, data: Buffer, size: number): ParseOutput[] {
  const out: ParseOutput[] = [];
  for (let i = 0; i < data.length; i += size) out.push(...p.push(data.subarray(i, i + size)));
  return out;
}

const bodies = (o: ParseOutput[]) => o.filter(isPart).map((p) => p.body.toString('latin1'));

t.test('the boundary parameter is read as the camera spells it', async (t) => {
  t.equal(boundaryOf('multipart/mixed; boundary=boundary'), 'boundary');
  t.equal(boundaryOf('multipart/mixed;boundary=--myboundary'), '--myboundary');
  t.equal(boundaryOf('multipart/mixed; boundary="MIME_boundary"'), 'MIME_boundary');
  t.equal(boundaryOf('multipart/mixed'), undefined);
  t.equal(boundaryOf(null), undefined);
});

t.test('event, picture and heartbeat parts come out whole at every chunk size', async (t) => {
  const data = stream([
    { type: 'application/xml; charset="UTF-8"', body: event },
    { type: 'image/jpeg', body: jpeg },
    { type: 'application/xml; charset="UTF-8"', body: heartbeat },
  ]);
  const want = [event, jpeg, heartbeat].map((b) => b.toString('latin1'));
  for (const size of [1, 2, 3, 7, 13, 64, 500, data.length]) {
    const out = feed(new MultipartStreamParser('boundary'), data, size);
    t.same(bodies(out), want, `chunk size ${size}`);
  }
  const out = new MultipartStreamParser('boundary').push(data);
  t.equal((out[1] as { headers: Record<string, string> }).headers['content-type'], 'image/jpeg', 'header names are lower-cased');
});

t.test('parts without Content-Length run to the next delimiter line, bare LF delimiters included', async (t) => {
  const data = stream(
    [
      { type: 'application/xml', body: event, length: false },
      { type: 'image/jpeg', body: jpeg, length: false },
      { type: 'application/xml', body: heartbeat, length: false },
    ],
    { end: '\n' },
  );
  for (const size of [1, 5, 4096]) {
    const out = feed(new MultipartStreamParser('boundary'), Buffer.concat([data, Buffer.from('--boundary--\r\n')]), size);
    t.same(bodies(out), [event, jpeg, heartbeat].map((b) => b.toString('latin1')), `chunk size ${size}`);
  }
});

t.test('a boundary parameter with leading dashes matches its delimiter lines either way', async (t) => {
  const a = new MultipartStreamParser('--boundary').push(stream([{ type: 'application/xml', body: event }], { delimiter: '--boundary' }));
  t.same(bodies(a), [event.toString('latin1')], 'lines "--boundary"');
  const b = new MultipartStreamParser('--boundary').push(stream([{ type: 'application/xml', body: event }], { delimiter: '----boundary' }));
  t.same(bodies(b), [event.toString('latin1')], 'lines "----boundary"');
});

t.test('noise before the first part and between parts is skipped', async (t) => {
  const one = stream([{ type: 'application/xml', body: event }], { preamble: 'HTTP noise\r\n' });
  const data = Buffer.concat([one, Buffer.from('garbage that is not a delimiter\r\n'), stream([{ type: 'application/xml', body: heartbeat }])]);
  t.same(bodies(feed(new MultipartStreamParser('boundary'), data, 11)), [event, heartbeat].map((b) => b.toString('latin1')));
});

t.test('an oversized part is reported and skipped without buffering it; the next part comes out', async (t) => {
  const big = Buffer.alloc(5000, 0x41);
  const p = new MultipartStreamParser('boundary', 2048);
  const data = stream([
    { type: 'image/jpeg', body: big },
    { type: 'application/xml', body: event },
  ]);
  const out = feed(p, data, 300);
  t.match(out[0], { problem: 'too_large' });
  t.same(bodies(out), [event.toString('latin1')]);
  t.ok(p.buffered < 2048, 'never held the big part');
});

t.test('a part with a broken header block is reported and the stream goes on', async (t) => {
  const data = Buffer.concat([Buffer.from('--boundary\r\nthis is no header\r\n\r\n<x/>\r\n'), stream([{ type: 'application/xml', body: event }])]);
  const out = new MultipartStreamParser('boundary').push(data);
  t.match(out[0], { problem: 'bad_headers' });
  t.same(bodies(out), [event.toString('latin1')]);
});

t.test('the closing delimiter ends the stream', async (t) => {
  const p = new MultipartStreamParser('boundary');
  p.push(Buffer.concat([stream([{ type: 'application/xml', body: event }]), Buffer.from('--boundary--\r\n')]));
  t.ok(p.ended);
  t.same(p.push(stream([{ type: 'application/xml', body: event }])), []);
});
