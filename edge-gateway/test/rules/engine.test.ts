import t from 'tap';
import type { BBox } from '../../src/frame.js';
import type { StaticBlob } from '../../src/motion/static-objects.js';
import type { RulesConfig, ZoneConfig } from '../../src/rules/config.js';
import { RuleEngine, type ViolationEvent } from '../../src/rules/engine.js';
import type { Track } from '../../src/tracker/tracker.js';

/** Shanghai local 2024-05-06 (a Monday) hh:mm:ss as a Date. */
const sh = (hh: number, mm = 0, ss = 0): Date => new Date(Date.UTC(2024, 4, 6, hh - 8, mm, ss));
const T0 = sh(14, 3, 10);
const at = (s: number): Date => new Date(T0.getTime() + s * 1000);

const lane: ZoneConfig['polygon'] = [
  [0.1, 0.5],
  [0.9, 0.5],
  [0.9, 0.95],
  [0.1, 0.95],
];
const CAR_IN: BBox = { x: 0.4, y: 0.55, w: 0.2, h: 0.15 }; // anchor (0.5, 0.7): in the lane
const CAR_OUT: BBox = { x: 0.4, y: 0.1, w: 0.2, h: 0.15 }; // anchor (0.5, 0.25): outside

function track(id: string, objectClass: string, bbox: BBox, o: Partial<Track> = {}): Track {
  return {
    id,
    objectClass,
    score: 0.8,
    bbox,
    state: 'tracked',
    firstSeen: T0,
    lastSeen: T0,
    hits: 10,
    stationary: true,
    stationarySince: T0,
    velocity: { x: 0, y: 0 },
    ...o,
  };
}

function blob(id: string, bbox: BBox, since: Date): (now: Date) => StaticBlob {
  return (now) => ({ id, bbox, area: bbox.w * bbox.h, since, ageSeconds: (now.getTime() - since.getTime()) / 1000, score: 0.8 });
}

function engine(zones: ZoneConfig[], updateIntervalSeconds = 30): RuleEngine {
  const config: RulesConfig = { zones, updateIntervalSeconds };
  return new RuleEngine('cam-03', config);
}

/** Run the engine once per second from `from` to `to` (inclusive) with the scene a function of time. */
function play(e: RuleEngine, from: number, to: number, scene: (s: number) => { tracks?: Track[]; blobs?: StaticBlob[] }, step = 1): ViolationEvent[] {
  const events: ViolationEvent[] = [];
  for (let s = from; s <= to + 1e-9; s += step) {
    const { tracks = [], blobs = [] } = scene(s);
    events.push(...e.step({ eventTime: at(s), tracks, staticBlobs: blobs }));
  }
  return events;
}

const parkingZone: ZoneConfig = { id: 'P1', type: 'illegal_parking', polygon: lane };
const parked = track('t7', 'car', CAR_IN);

t.test('parking starts only once the car has been stationary in the zone for the dwell time', async (t) => {
  const e = engine([parkingZone]);
  const before = play(e, 0, 59, () => ({ tracks: [parked] }));
  t.same(before, [], 'nothing during the first 59 s');
  const [start, ...rest] = play(e, 60, 60, () => ({ tracks: [parked] }));
  t.same(rest, []);
  t.match(start, { phase: 'start', type: 'illegal_parking', cameraId: 'cam-03', zoneId: 'P1', trackId: 't7', objectClass: 'car', dwellSeconds: 60 });
  t.same(start?.startedAt, T0);
  t.same(start?.eventTime, at(60));
  t.match(start?.violationId, /^v-[0-9a-f]{32}$/);
});

t.test('dwell is credited from stationarySince, not from when the engine first saw the car', async (t) => {
  const e = engine([parkingZone]);
  const events = play(e, 50, 70, () => ({ tracks: [parked] }));
  t.equal(events[0]?.phase, 'start');
  t.same(events[0]?.eventTime, at(60));
});

t.test('a moving vehicle or one outside the zone never starts a violation', async (t) => {
  const e = engine([parkingZone]);
  const moving = track('t1', 'car', CAR_IN, { stationary: false, stationarySince: undefined });
  const outside = track('t2', 'car', CAR_OUT);
  const person = track('t3', 'person', CAR_IN);
  t.same(play(e, 0, 200, () => ({ tracks: [moving, outside, person] })), []);
});

t.test('updates are rate-limited to one per update interval', async (t) => {
  const e = engine([parkingZone], 30);
  const events = play(e, 0, 200, () => ({ tracks: [parked] }), 0.5);
  const updates = events.filter((ev) => ev.phase === 'update').map((ev) => (ev.eventTime.getTime() - T0.getTime()) / 1000);
  t.same(updates, [90, 120, 150, 180], 'one update every 30 s after the start at 60 s');
  t.equal(new Set(events.map((ev) => ev.violationId)).size, 1, 'one violationId throughout');
  t.equal(events.find((ev) => ev.eventTime.getTime() === at(150).getTime())?.dwellSeconds, 150);
});

t.test('the violation ends at once when the car drives out of the zone', async (t) => {
  const e = engine([parkingZone]);
  const events = play(e, 0, 100, (s) => ({
    tracks: [s < 90 ? parked : track('t7', 'car', CAR_OUT, { stationary: false, stationarySince: undefined })],
  }));
  t.same(events.map((ev) => ev.phase), ['start', 'end']);
  const end = events[1];
  t.match(end, { phase: 'end', endReason: 'left', dwellSeconds: 89, violationId: events[0]?.violationId });
  t.same(end?.eventTime, at(90));
});

t.test('a gap shorter than gapSeconds is bridged; a longer one ends the violation as lost', async (t) => {
  const e = engine([parkingZone], 1000);
  // Hidden by a bus from 70 s to 80 s (10 s <= 15 s): one violation.
  const bridged = play(e, 0, 120, (s) => ({ tracks: s > 70 && s < 81 ? [] : [parked] }));
  t.same(bridged.map((ev) => ev.phase), ['start'], 'no end during a 10 s gap');
  // Then it disappears for good.
  const gone = play(e, 121, 150, () => ({ tracks: [] }));
  t.same(gone.map((ev) => ev.phase), ['end']);
  t.match(gone[0], { endReason: 'lost', dwellSeconds: 120, violationId: bridged[0]?.violationId });
  t.same(gone[0]?.eventTime, at(136), 'ended when the absence exceeded 15 s');
});

t.test('a lost track (occluded, still remembered by the tracker) counts as absent, bridged by the gap', async (t) => {
  const e = engine([parkingZone], 1000);
  const lost = track('t7', 'car', CAR_IN, { state: 'lost' });
  const events = play(e, 0, 100, (s) => ({ tracks: [s > 65 && s < 75 ? lost : parked] }));
  t.same(events.map((ev) => ev.phase), ['start']);
});

t.test('the dwell resets when a gap exceeds gapSeconds before the start', async (t) => {
  const e = engine([parkingZone]);
  // Present 0-40 s, away 41-60 s (20 s), back at 61 s with a new stationary episode.
  const events = play(e, 0, 130, (s) => ({
    tracks: s <= 40 ? [parked] : s <= 60 ? [] : [track('t7', 'car', CAR_IN, { stationarySince: at(61) })],
  }));
  t.same(events.map((ev) => ev.phase), ['start']);
  t.same(events[0]?.eventTime, at(121));
  t.same(events[0]?.startedAt, at(61));
});

t.test('violation ids are deterministic: a replay gives the same ids, another stay a different one', async (t) => {
  const scene = (s: number): { tracks: Track[] } => ({ tracks: s < 100 ? [parked] : [] });
  const a = play(engine([parkingZone]), 0, 130, scene);
  const b = play(engine([parkingZone]), 0, 130, scene);
  t.same(a, b);
  const other = play(engine([parkingZone]), 5, 130, () => ({ tracks: [track('t7', 'car', CAR_IN, { stationarySince: at(5) })] }));
  t.not(other[0]?.violationId, a[0]?.violationId);
});

t.test('a schedule crossing midnight: dwell counts from the window start, the window end ends the violation', async (t) => {
  const night: ZoneConfig = {
    id: 'N1',
    type: 'illegal_parking',
    polygon: lane,
    dwellSeconds: 60,
    timezone: 'Asia/Shanghai',
    schedule: [{ days: ['mon'], from: '22:00', to: '06:00' }],
  };
  const e = new RuleEngine('cam-03', { zones: [night], updateIntervalSeconds: 3600 });
  const car = track('t9', 'car', CAR_IN, { stationarySince: sh(21, 50) });
  const events: ViolationEvent[] = [];
  // Every 30 s from Monday 21:50 to Tuesday 06:05 local time.
  for (let ms = sh(21, 50).getTime(); ms <= sh(30, 5).getTime(); ms += 30_000) {
    events.push(...e.step({ eventTime: new Date(ms), tracks: [car], staticBlobs: [] }));
  }
  const starts = events.filter((ev) => ev.phase === 'start');
  t.equal(starts.length, 1);
  t.same(starts[0]?.startedAt, sh(22, 0), 'dwell counted from 22:00, not from 21:50');
  t.same(starts[0]?.eventTime, sh(22, 1));
  const end = events.find((ev) => ev.phase === 'end');
  t.match(end, { endReason: 'schedule', violationId: starts[0]?.violationId });
  t.same(end?.eventTime, sh(30, 0), 'ended at 06:00 Tuesday');
  t.equal(events.filter((ev) => ev.phase === 'update').length, 7, 'hourly updates through the night');
});

t.test('dumping: an unexplained static blob starts after the dwell; one covered by a parked car does not', async (t) => {
  const zone: ZoneConfig = { id: 'D1', type: 'dumping', polygon: lane, dwellSeconds: 900 };
  const e = engine([zone], 600);
  const bags = blob('s1', { x: 0.2, y: 0.6, w: 0.1, h: 0.1 }, T0);
  const carShadow = blob('s2', { x: 0.42, y: 0.57, w: 0.16, h: 0.12 }, T0);
  const events = play(e, 0, 1000, (s) => ({ tracks: [parked], blobs: [bags(at(s)), carShadow(at(s))] }), 10);
  t.same(events.map((ev) => ev.phase), ['start']);
  t.match(events[0], { type: 'dumping', objectClass: 'static_object', zoneId: 'D1', dwellSeconds: 900 });
  t.notOk(events[0]?.trackId);
});

t.test('a passer-by lost by the tracker over the bags does not hide them; a standing man missed for a moment still explains his own blob', async (t) => {
  const zone: ZoneConfig = { id: 'D1', type: 'dumping', polygon: lane, dwellSeconds: 60, gapSeconds: 10 };
  const spot: BBox = { x: 0.2, y: 0.6, w: 0.1, h: 0.1 };
  const bags = blob('s1', spot, T0);
  // a walker's track lost right over the bags from 30 s: the tracker remembers its last box for a while
  const walker = track('t9', 'person', { x: 0.21, y: 0.55, w: 0.06, h: 0.2 }, { state: 'lost', stationary: false, stationarySince: undefined });
  const e1 = engine([zone], 600);
  const ev1 = play(e1, 0, 120, (s) => ({ tracks: s >= 30 ? [walker] : [], blobs: [bags(at(s))] }));
  t.same(ev1.map((ev) => `${ev.phase}@${(ev.eventTime.getTime() - T0.getTime()) / 1000}`), ['start@60'], 'one dumping violation, not ended by the stale box');
  // a man standing on the spot (his own pixels are a static blob), missed by the detector: still explained
  const man = track('t3', 'person', { x: 0.2, y: 0.5, w: 0.1, h: 0.2 }, { state: 'lost' });
  const e2 = engine([zone], 600);
  t.same(play(e2, 0, 120, (s) => ({ tracks: [s % 3 === 0 ? man : { ...man, state: 'tracked' as const }], blobs: [bags(at(s))] })), [], 'no dumping');
});

t.test('dumping is muted during collection windows', async (t) => {
  const zone: ZoneConfig = {
    id: 'D2',
    type: 'dumping',
    polygon: lane,
    dwellSeconds: 600,
    muted: [{ days: ['mon'], from: '14:00', to: '14:30' }],
  };
  const e = engine([zone], 6000);
  const bags = blob('s1', { x: 0.2, y: 0.6, w: 0.1, h: 0.1 }, T0);
  // From 14:03:10 to 14:50: muted until 14:30, so dwell counts from 14:30 and the start is at 14:40.
  const events = play(e, 0, 47 * 60, (s) => ({ blobs: [bags(at(s))] }), 10);
  t.equal(events.length, 1);
  t.same(events[0]?.startedAt, sh(14, 30));
  t.same(events[0]?.eventTime, sh(14, 40));
});

t.test('a car replaced by another at the same spot (one track throughout) is a second violation, told by the ground under it', async (t) => {
  const zone: ZoneConfig = { id: 'P1', type: 'illegal_parking', polygon: lane, dwellSeconds: 30, gapSeconds: 10 };
  const car = track('t7', 'car', CAR_IN, { stationarySince: T0 });
  // the static layer: the first car's blob from 0 s until it leaves at 60 s; the second car's from 62 s
  const first = blob('s1', { ...CAR_IN }, T0);
  const second = blob('s2', { ...CAR_IN }, at(62));
  const events = play(engine([zone]), 0, 150, (s) => ({ tracks: [car], blobs: s < 60 ? [first(at(s))] : s < 72 ? [] : [second(at(s))] }));
  const starts = events.filter((e) => e.phase === 'start');
  t.equal(starts.length, 2, 'two violations');
  t.equal(starts[0]?.eventTime.getTime(), at(30).getTime(), 'the first after its dwell');
  t.equal(starts[1]?.startedAt.getTime(), at(62).getTime(), 'the second counted from when the second car appeared');
  t.equal(starts[1]?.eventTime.getTime(), at(92).getTime(), 'and started after its own dwell');
  const firstEnd = events.find((e) => e.phase === 'end' && e.violationId === starts[0]?.violationId);
  t.ok(firstEnd && firstEnd.eventTime.getTime() <= at(72 + 11).getTime(), 'the first ended once the second was seen, within the gap');
  const shadow = play(engine([zone]), 0, 150, (s) => ({ tracks: [car], blobs: [first(at(s))] }));
  t.equal(shadow.filter((e) => e.phase === 'start').length, 1, 'the same car with its own blob throughout: one violation');
});

t.test('street vendor: a person staying by a stationary umbrella in the zone for the dwell; ends when the person is gone', async (t) => {
  const zone: ZoneConfig = { id: 'V1', type: 'street_vendor', polygon: lane, dwellSeconds: 240, gapSeconds: 30 };
  const e = engine([zone], 1000);
  const umbrella = track('t2', 'umbrella', { x: 0.3, y: 0.5, w: 0.15, h: 0.2 });
  const seller = track('t3', 'person', { x: 0.45, y: 0.5, w: 0.06, h: 0.25 });
  const alone = play(engine([zone]), 0, 400, () => ({ tracks: [umbrella] }));
  t.same(alone, [], 'an umbrella alone is not a vendor');
  const events = play(e, 0, 400, (s) => ({ tracks: s <= 300 ? [umbrella, seller] : [umbrella] }));
  t.same(events.map((ev) => ev.phase), ['start', 'end']);
  t.match(events[0], { type: 'street_vendor', objectClass: 'umbrella', trackId: 't2', dwellSeconds: 240 });
  t.match(events[1], { endReason: 'lost', dwellSeconds: 300 });
});

t.test('street vendor needs a vendor: passers-by, a lone lingerer, someone far from the goods or long after them are not one', async (t) => {
  const zone: ZoneConfig = { id: 'V1', type: 'street_vendor', polygon: lane, dwellSeconds: 60, gapSeconds: 30 };
  const umbrella = track('t2', 'umbrella', { x: 0.3, y: 0.5, w: 0.15, h: 0.2 });
  const goods = blob('s9', { x: 0.3, y: 0.55, w: 0.1, h: 0.08 }, T0);
  const passerBy = (s: number) => track(`p${s % 7}`, 'person', { x: 0.2 + (s % 7) * 0.05, y: 0.5, w: 0.06, h: 0.25 }, { stationary: false, stationarySince: undefined });
  t.same(play(engine([zone]), 0, 200, (s) => ({ tracks: [umbrella, passerBy(s)] })), [], 'people walking past an umbrella');
  t.same(play(engine([zone]), 0, 200, (s) => ({ tracks: [passerBy(s)], blobs: [goods(at(s))] })), [], 'people walking past goods on the ground');
  const lingerer = track('t3', 'person', { x: 0.45, y: 0.5, w: 0.06, h: 0.25 });
  t.same(play(engine([zone]), 0, 200, () => ({ tracks: [lingerer] })), [], 'a person standing with no goods');
  const far = track('t4', 'person', { x: 0.85, y: 0.5, w: 0.06, h: 0.2 });
  t.same(play(engine([zone]), 0, 200, () => ({ tracks: [umbrella, far] })), [], 'a person standing two person-heights away from the goods');
  const later = track('t5', 'person', { x: 0.45, y: 0.5, w: 0.06, h: 0.25 }, { stationarySince: at(150) });
  t.same(play(engine([zone]), 150, 300, () => ({ tracks: [umbrella, later] })), [], 'goods there since 0 s, a person staying by them from 150 s (they did not come together)');
  const withGoods = play(engine([zone]), 0, 200, (s) => ({ tracks: [lingerer], blobs: [goods(at(s))] }));
  t.same(withGoods.filter((ev) => ev.phase === 'start').map((ev) => `${ev.phase}:${ev.objectClass}:${ev.eventTime.toISOString()}`), [`start:static_object:${at(60).toISOString()}`], 'the same person staying by goods that appeared with them');
});

t.test('street vendor: the goods must be in the zone, the seller only beside them', async (t) => {
  // lane: x 0.1-0.9, y 0.5-0.95 (anchors: bottom-centre)
  const zone: ZoneConfig = { id: 'V1', type: 'street_vendor', polygon: lane, dwellSeconds: 60, gapSeconds: 30 };
  const goodsIn = blob('s9', { x: 0.8, y: 0.7, w: 0.07, h: 0.08 }, T0);
  const sellerPast = track('t6', 'person', { x: 0.88, y: 0.56, w: 0.06, h: 0.25 }); // anchor x 0.91: past the zone's edge
  const starts = play(engine([zone]), 0, 120, (s) => ({ tracks: [sellerPast], blobs: [goodsIn(at(s))] })).filter((ev) => ev.phase === 'start');
  t.same(starts.map((ev) => ev.eventTime.toISOString()), [at(60).toISOString()], 'a seller standing just past the edge, his goods in the zone: a vendor');
  const goodsOut = blob('s8', { x: 0.8, y: 0.9, w: 0.07, h: 0.08 }, T0); // anchor y 0.98: below the zone
  const sellerIn = track('t7', 'person', { x: 0.8, y: 0.62, w: 0.06, h: 0.25 });
  t.same(play(engine([zone]), 0, 120, (s) => ({ tracks: [sellerIn], blobs: [goodsOut(at(s))] })), [], 'goods outside the zone are not selling in it, wherever the seller stands');
});

t.test('shopfront spillover: a chair is counted once even though it is also a static blob; blobs of standing people are ignored', async (t) => {
  const zone: ZoneConfig = { id: 'S1', type: 'shopfront_spillover', polygon: lane, dwellSeconds: 600, schedule: [] };
  const e = engine([zone], 6000);
  const chairBox = { x: 0.2, y: 0.6, w: 0.08, h: 0.12 };
  const chair = track('t4', 'chair', chairBox);
  const chairBlob = blob('s1', { x: 0.19, y: 0.59, w: 0.1, h: 0.14 }, T0);
  const personBox = { x: 0.6, y: 0.5, w: 0.06, h: 0.25 };
  const person = track('t5', 'person', personBox);
  const personBlob = blob('s2', personBox, T0);
  const events = play(e, 0, 700, (s) => ({ tracks: [chair, person], blobs: [chairBlob(at(s)), personBlob(at(s))] }), 10);
  t.same(events.map((ev) => `${ev.phase}:${ev.objectClass}`), ['start:chair']);
});

t.test('spillover follows business hours by default', async (t) => {
  const zone: ZoneConfig = { id: 'S2', type: 'shopfront_spillover', polygon: lane };
  const e = engine([zone], 100000);
  const chair = track('t4', 'chair', { x: 0.2, y: 0.6, w: 0.08, h: 0.12 }, { stationarySince: sh(21, 0) });
  const events: ViolationEvent[] = [];
  for (let ms = sh(21, 0).getTime(); ms <= sh(23, 0).getTime(); ms += 60_000) events.push(...e.step({ eventTime: new Date(ms), tracks: [chair], staticBlobs: [] }));
  t.same(events.map((ev) => ev.phase), ['start', 'end']);
  t.same(events[0]?.eventTime, sh(21, 10), 'start after the 10 min default dwell');
  t.match(events[1], { endReason: 'schedule' });
  t.same(events[1]?.eventTime, sh(22, 0), 'business hours end at 22:00');
});

t.test('close ends every open violation with reason shutdown', async (t) => {
  const e = engine([parkingZone]);
  play(e, 0, 70, () => ({ tracks: [parked] }));
  t.equal(e.openCount, 1);
  const ends = e.close(at(71));
  t.match(ends, [{ phase: 'end', endReason: 'shutdown' }]);
  t.equal(e.openCount, 0);
  t.same(e.close(at(72)), [], 'idempotent');
});

t.test('a zone with a bad time zone is rejected at construction', async (t) => {
  t.throws(() => engine([{ ...parkingZone, timezone: 'Nowhere/Land' }]), RangeError);
});
