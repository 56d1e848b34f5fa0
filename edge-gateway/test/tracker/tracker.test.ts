import t from 'tap';
import type { Detection } from '../../src/detector/types.js';
import type { BBox } from '../../src/frame.js';
import type { TrackerConfig } from '../../src/tracker/config.js';
import { Tracker, type Track } from '../../src/tracker/tracker.js';

const config: TrackerConfig = {
  highScore: 0.4,
  lowScore: 0.15,
  matchIou: 0.2,
  secondMatchIou: 0.4,
  minHits: 2,
  lostMemorySeconds: 15,
  stationaryWindowSeconds: 10,
  stationaryMaxDisplacement: 0.02,
  stationaryBreakSeconds: 3,
  classGroups: [['car', 'truck', 'bus']],
  measurementNoise: 0.05,
  accelerationNoise: 0.5,
};

const T0 = Date.UTC(2024, 4, 6, 6, 0, 0);
const at = (s: number): Date => new Date(T0 + s * 1000);

function det(objectClass: string, cx: number, cy: number, w: number, h: number, score = 0.8): Detection {
  const bbox: BBox = { x: cx - w / 2, y: cy - h / 2, w, h };
  return { bbox, score, classId: -1, className: objectClass, objectClass };
}

/** Track whose box centre is nearest to (cx, cy). */
function near(tracks: readonly Track[], cx: number, cy: number): Track | undefined {
  let best: Track | undefined;
  let d = Infinity;
  for (const tr of tracks) {
    const dd = Math.hypot(tr.bbox.x + tr.bbox.w / 2 - cx, tr.bbox.y + tr.bbox.h / 2 - cy);
    if (dd < d) {
      d = dd;
      best = tr;
    }
  }
  return best;
}

t.test('two pedestrians crossing each other keep their ids', async (t) => {
  const tracker = new Tracker(config);
  const idsA = new Set<string>();
  const idsB = new Set<string>();
  // 2 fps; A walks right, B walks left on nearly the same line; they overlap around t = 5 s.
  for (let i = 0; i <= 20; i++) {
    const s = i / 2;
    const ax = 0.2 + 0.06 * s;
    const bx = 0.8 - 0.06 * s;
    const tracks = tracker.update(at(s), [det('person', ax, 0.5, 0.06, 0.2), det('person', bx, 0.51, 0.06, 0.2)]);
    if (i === 0 || Math.abs(ax - bx) < 0.01) continue; // tentative on frame 0; "nearest" is ambiguous at the crossing
    idsA.add(near(tracks, ax, 0.5)?.id ?? '?');
    idsB.add(near(tracks, bx, 0.51)?.id ?? '?');
  }
  t.equal(idsA.size, 1, `A kept one id (${[...idsA].join(',')})`);
  t.equal(idsB.size, 1, `B kept one id (${[...idsB].join(',')})`);
  t.not([...idsA][0], [...idsB][0]);
});

t.test('crossing with the far object hidden for two frames still keeps both ids', async (t) => {
  const tracker = new Tracker(config);
  const seen: { a: string | undefined; b: string | undefined }[] = [];
  for (let i = 0; i <= 20; i++) {
    const s = i / 2;
    const ax = 0.2 + 0.06 * s;
    const bx = 0.8 - 0.06 * s;
    const hidden = Math.abs(ax - bx) < 0.08; // B walks behind A
    const dets = [det('person', ax, 0.5, 0.06, 0.2)];
    if (!hidden) dets.push(det('person', bx, 0.5, 0.06, 0.2));
    const tracks = tracker.update(at(s), dets).filter((tr) => tr.state === 'tracked');
    if (!hidden && i >= 1) seen.push({ a: near(tracks, ax, 0.5)?.id, b: near(tracks, bx, 0.5)?.id });
  }
  t.equal(new Set(seen.map((x) => x.a)).size, 1, 'A one id');
  t.equal(new Set(seen.map((x) => x.b)).size, 1, 'B one id');
  t.not(seen[0]?.a, seen[0]?.b);
});

t.test('a parked car hidden for less than the lost memory keeps its id, first-seen and stationary time', async (t) => {
  const tracker = new Tracker(config);
  const car = det('car', 0.5, 0.6, 0.2, 0.15);
  let before: Track | undefined;
  for (let s = 0; s <= 30; s++) before = tracker.update(at(s), [car])[0];
  t.equal(before?.stationary, true);
  // Passing traffic hides it for 12 s (< 15 s lost memory).
  for (let s = 31; s <= 42; s++) {
    const tracks = tracker.update(at(s), []);
    t.equal(tracks[0]?.state, 'lost', `t=${s}: lost, not forgotten`);
    t.same(tracks[0]?.bbox, before?.bbox, 'a lost track stays where it was last seen');
  }
  const after = tracker.update(at(43), [det('car', 0.502, 0.601, 0.2, 0.15)])[0];
  t.equal(after?.id, before?.id, 'same id after the occlusion');
  t.equal(after?.state, 'tracked');
  t.same(after?.firstSeen, at(0));
  t.same(after?.stationarySince, before?.stationarySince, 'dwell continues from before the occlusion');
});

t.test('a track unseen for longer than the lost memory is forgotten and a new id starts', async (t) => {
  const tracker = new Tracker(config);
  const car = det('car', 0.5, 0.6, 0.2, 0.15);
  for (let s = 0; s <= 5; s++) tracker.update(at(s), [car]);
  const id = tracker.tracks[0]?.id;
  t.equal(tracker.update(at(20), []).length, 1, 'still remembered at 15 s');
  t.equal(tracker.update(at(21), []).length, 0, 'forgotten after 16 s');
  tracker.update(at(22), [car]);
  const again = tracker.update(at(23), [car])[0];
  t.not(again?.id, id);
});

t.test('a car that stops becomes stationary after the window and stops being stationary when it drives off', async (t) => {
  const tracker = new Tracker(config);
  const states: { s: number; tr: Track | undefined }[] = [];
  for (let s = 0; s <= 40; s++) {
    // Drives 0.03/s until t=10, parks (with detector jitter) until t=30, then leaves at 0.05/s.
    const cx = s <= 10 ? 0.2 + 0.03 * s : s <= 30 ? 0.5 + (s % 2 ? 0.003 : -0.003) : 0.5 + 0.05 * (s - 30);
    states.push({ s, tr: tracker.update(at(s), [det('car', cx, 0.6, 0.2, 0.15)]).find((tr) => tr.state === 'tracked') });
  }
  const stationaryAt = states.filter((x) => x.tr?.stationary).map((x) => x.s);
  t.ok(stationaryAt.length > 0, 'becomes stationary');
  t.equal(stationaryAt[0], 21, 'stationary once the 10 s window after the stop is full');
  t.ok(stationaryAt.every((s) => s >= 21 && s <= 30 + config.stationaryBreakSeconds), 'stationary only while parked (at most stationaryBreakSeconds after it drove off)');
  t.ok(states.filter((x) => x.s >= 34).every((x) => x.tr && !x.tr.stationary), 'the car driving off is a moving track');
  const since = states.find((x) => x.s === 25)?.tr?.stationarySince?.getTime();
  t.ok(since !== undefined && since >= at(10).getTime() && since <= at(11).getTime(), 'stationarySince is the stop time');
  t.equal(new Set(states.filter((x) => x.s >= 2 && x.s <= 30).map((x) => x.tr?.id)).size, 1, 'one id while it drove in and stood (confirmed from the second hit)');
});

t.test('a vehicle passing in front of a parked car does not take its track, and a shaking camera does not make it move', async (t) => {
  const tracker = new Tracker(config);
  let parkedId: string | undefined;
  const since: (number | undefined)[] = [];
  for (let s = 0; s <= 40; s++) {
    const shake = (s % 3) * 0.004 - 0.004; // a few pixels either way
    const dets = [det('car', 0.5 + shake, 0.6 + shake, 0.2, 0.15)];
    // another car drives right to left in front of it at 0.1/s during 20-26 s (overlapping it)
    if (s >= 20 && s <= 26) dets.push(det('car', 0.8 - 0.1 * (s - 20), 0.65, 0.22, 0.16));
    const tracks = tracker.update(at(s), dets);
    const parked = tracks.find((tr) => tr.stationary);
    if (s === 15) parkedId = parked?.id;
    if (s >= 15) since.push(tracks.find((tr) => tr.id === parkedId)?.stationarySince?.getTime());
  }
  t.ok(parkedId, 'parked and stationary by 15 s');
  t.ok(since.every((v) => v !== undefined && v === since[0]), 'the parked track stays stationary with one stationarySince from 15 to 40 s');
});

t.test('low-score detections extend an existing track (second pass) but never start one', async (t) => {
  const tracker = new Tracker(config);
  for (let s = 0; s <= 3; s++) tracker.update(at(s), [det('person', 0.3 + 0.01 * s, 0.5, 0.06, 0.2, 0.7)]);
  const id = tracker.tracks[0]?.id;
  // The person walks into shade: score 0.25 (below highScore, above lowScore) for 4 frames.
  for (let s = 4; s <= 7; s++) {
    const tracks = tracker.update(at(s), [det('person', 0.3 + 0.01 * s, 0.5, 0.06, 0.2, 0.25)]);
    t.equal(tracks.length, 1);
    t.equal(tracks[0]?.id, id, `t=${s}: matched in the second pass`);
    t.equal(tracks[0]?.state, 'tracked');
    t.same(tracks[0]?.lastSeen, at(s));
  }
  const fresh = new Tracker(config);
  for (let s = 0; s <= 3; s++) fresh.update(at(s), [det('person', 0.7, 0.5, 0.06, 0.2, 0.25)]);
  t.same(fresh.tracks, [], 'a low-score detection alone starts nothing');
});

t.test('a one-frame false positive never becomes a confirmed track', async (t) => {
  const tracker = new Tracker(config);
  t.equal(tracker.update(at(0), [det('person', 0.4, 0.4, 0.05, 0.15)])[0]?.state, 'tentative');
  t.same(tracker.update(at(1), []), [], 'unmatched tentative track is dropped');
});

t.test('the class is a majority vote and incompatible classes never match', async (t) => {
  const tracker = new Tracker(config);
  const classes = ['car', 'truck', 'car', 'car', 'truck', 'car'];
  classes.forEach((c, s) => tracker.update(at(s), [det(c, 0.5, 0.6, 0.2, 0.15)]));
  t.equal(tracker.tracks.length, 1, 'car/truck flips stay one track');
  t.equal(tracker.tracks[0]?.objectClass, 'car');
  const tracks = tracker.update(at(6), [det('person', 0.5, 0.6, 0.2, 0.15)]);
  const car = tracks.find((tr) => tr.objectClass === 'car');
  t.equal(car?.state, 'lost', 'a person on the same spot does not feed the car track');
  t.ok(tracks.some((tr) => tr.objectClass === 'person' && tr.state === 'tentative'));
});

t.test('the same detections replayed give the same tracks', async (t) => {
  const run = (): string => {
    const tracker = new Tracker(config);
    const out: unknown[] = [];
    for (let s = 0; s <= 12; s++) {
      out.push(tracker.update(at(s), [det('person', 0.1 + 0.05 * s, 0.5, 0.06, 0.2), det('car', 0.6, 0.7, 0.2, 0.15, 0.5 + 0.02 * (s % 3))]));
    }
    return JSON.stringify(out);
  };
  t.equal(run(), run());
});
