import t from 'tap';
import { resolveCountLine, type CountLineConfig } from '../../src/counting/config.js';
import { flowCountOf } from '../../src/counting/events.js';
import { FlowCounter, type FlowMinute } from '../../src/counting/flow-counter.js';
import { LineCounter, type Crossing } from '../../src/counting/line-counter.js';
import type { Track } from '../../src/tracker/tracker.js';

const T0 = Date.parse('2026-11-26T06:00:00.000Z');
const at = (s: number): Date => new Date(T0 + s * 1000);

/** A horizontal line left to right at y 0.5: its left (as seen in the image) is up, so walking up is `in`. */
const ACROSS: CountLineConfig = { id: 'L1', type: 'count_line', line: [[0.1, 0.5], [0.9, 0.5]] };

/** A track whose ground point (bottom-centre of its box) is at (x, y). */
function track(id: string, x: number, y: number, o: Partial<Track> = {}): Track {
  return {
    id,
    objectClass: 'person',
    score: 0.8,
    bbox: { x: x - 0.02, y: y - 0.1, w: 0.04, h: 0.1 },
    state: 'tracked',
    firstSeen: at(0),
    lastSeen: at(0),
    hits: 5,
    stationary: false,
    stationarySince: undefined,
    velocity: { x: 0, y: 0 },
    ...o,
  };
}

type Scene = (s: number) => Track[];

/** Walk from (x0, y0) at second s0 to (x1, y1) at s1 (absent outside). */
function walker(id: string, from: [number, number, number], to: [number, number, number], o: Partial<Track> = {}): Scene {
  const [s0, x0, y0] = from;
  const [s1, x1, y1] = to;
  return (s) => {
    if (s < s0 || s > s1) return [];
    const k = (s - s0) / (s1 - s0);
    return [track(id, x0 + k * (x1 - x0), y0 + k * (y1 - y0), o)];
  };
}

const scene = (...parts: Scene[]): Scene => (s) => parts.flatMap((p) => p(s));

/** Feed the line counter the scene every 1/fps s from `from` to `to`. */
function play(c: LineCounter, sc: Scene, fps: number, to: number, from = 0): Crossing[] {
  const out: Crossing[] = [];
  for (let i = Math.round(from * fps); i <= Math.round(to * fps); i++) out.push(...c.step(at(i / fps), sc(i / fps)));
  return out;
}

const dirs = (cs: readonly Crossing[]): string[] => cs.map((c) => `${c.trackId}:${c.objectClass}:${c.direction}`);

t.test('walking across a directed line counts once, in (to its left as seen in the image) or out', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  const sc = scene(walker('t1', [0, 0.3, 0.9], [10, 0.3, 0.1]), walker('t2', [0, 0.6, 0.2], [10, 0.6, 0.8]));
  t.same(dirs(play(c, sc, 2, 10)), ['t1:person:in', 't2:person:out'], 't1 walks up (the left of a->b): in; t2 walks down: out');
  const reversed = new LineCounter(resolveCountLine({ ...ACROSS, line: [[0.9, 0.5], [0.1, 0.5]] }));
  t.same(dirs(play(reversed, sc, 2, 10)), ['t1:person:out', 't2:person:in'], 'b->a swaps the directions');
});

t.test('standing or jittering on the line for minutes never counts; stepping off to the other side counts once', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  // comes from above, stands on the line 5 minutes swaying +-0.015 (inside the 0.02 dead band), then leaves downwards
  const sc: Scene = (s) => {
    if (s < 5) return [track('t1', 0.5, 0.3 + (0.2 * s) / 5)];
    if (s < 305) return [track('t1', 0.5 + 0.01 * Math.sin(s), 0.5 + 0.015 * Math.sin(s * 1.7))];
    return [track('t1', 0.5, 0.5 + (0.3 * (s - 305)) / 5)];
  };
  const got = play(c, sc, 5, 310);
  t.same(dirs(got), ['t1:person:out'], 'one crossing');
  t.same(got[0]?.eventTime, at(1527 / 5), 'when it was first beyond the dead band (305.4 s, at 5 fps)');
});

t.test('back and forth across the line: at most one count per track and direction', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  const sc: Scene = (s) => [track('t1', 0.5, 0.5 + 0.2 * Math.sin((2 * Math.PI * s) / 10))]; // 6 crossings in 30 s
  t.same(dirs(play(c, sc, 2, 30)), ['t1:person:in', 't1:person:out']);
  const other = scene(walker('t2', [0, 0.3, 0.3], [4, 0.3, 0.7]));
  t.same(dirs(c.step(at(31), other(1))), [], 'a new track settles first');
  t.same(dirs(c.step(at(32), other(4))), ['t2:person:out'], 'and then counts for itself');
});

t.test('the same walks give the same counts at 1, 2 and 5 analysed frames per second', async (t) => {
  const walks = scene(
    walker('a', [0, 0.2, 0.9], [8, 0.25, 0.1]),
    walker('b', [3, 0.4, 0.1], [9, 0.45, 0.9]),
    walker('c', [5, 0.7, 0.8], [20, 0.72, 0.2]), // slow: 15 s to cross
    walker('d', [10, 0.5, 0.3], [14, 0.5, 0.75]),
    walker('e', [12, 0.8, 0.95], [14.5, 0.8, 0.05]), // fast: 2.5 s top to bottom
  );
  const counts = [1, 2, 5].map((fps) => dirs(play(new LineCounter(resolveCountLine(ACROSS)), walks, fps, 25)).sort());
  t.same(counts[0], ['a:person:in', 'b:person:out', 'c:person:in', 'd:person:out', 'e:person:in']);
  t.same(counts[1], counts[0], '2 fps = 1 fps');
  t.same(counts[2], counts[0], '5 fps = 1 fps');
});

t.test('passing beside the end of the segment is not a crossing', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  const sc = scene(walker('beside', [0, 0.95, 0.2], [6, 0.95, 0.8]), walker('end', [0, 0.89, 0.2], [6, 0.89, 0.8]), walker('left', [0, 0.05, 0.8], [6, 0.02, 0.2]));
  t.same(dirs(play(c, sc, 1, 6)), ['end:person:out'], 'only the walker inside the segment (x 0.89 of 0.1-0.9)');
});

t.test('two observations make a track (tentative ones too); lost tracks (frozen boxes) and uncounted classes never move a count', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS), { seconds: 0, distance: 0, speed: 0 });
  t.same(c.step(at(0), [track('t1', 0.5, 0.3, { state: 'tentative' })]), []);
  t.same(dirs(c.step(at(1), [track('t1', 0.5, 0.7, { state: 'tentative' })])), ['t1:person:out'], 'seen on both sides: counted, confirmed or not');
  t.same(dirs(c.step(at(2), [track('t1', 0.5, 0.72)])), [], 'and once only');
  t.same(c.step(at(3), [track('t2', 0.3, 0.3), track('dog', 0.6, 0.3, { objectClass: 'dog' })]), []);
  t.same(c.step(at(4), [track('t2', 0.3, 0.7, { state: 'lost' }), track('dog', 0.6, 0.7, { objectClass: 'dog' })]), [], 'lost: skipped; dog: not counted');
  t.equal(c.size, 1, 'tracks gone from the tracker are forgotten (t1), the lost one (t2) is kept, the dog never followed');
  t.same(dirs(c.step(at(5), [track('car1', 0.5, 0.8, { objectClass: 'car' })])), []);
  t.same(dirs(c.step(at(6), [track('car1', 0.5, 0.2, { objectClass: 'car' }), track('bike', 0.2, 0.8, { objectClass: 'bicycle' })])), ['car1:vehicle:in']);
});

t.test('at 1 fps, where every frame is a new tentative track (the person moved more than their width), the pieces are one person', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  const ys = [0.2, 0.32, 0.44, 0.56, 0.68, 0.8];
  const got = ys.flatMap((y, i) => c.step(at(i), [track(`n${i}`, 0.5 + 0.01 * i, y, { state: 'tentative' })]));
  t.same(dirs(got), ['n3:person:out'], 'one crossing, when the chain reached the other side');
  const far = new LineCounter(resolveCountLine(ACROSS));
  const apart = [0.3, 0.7].flatMap((y, i) => far.step(at(i * 3), [track(`m${i}`, 0.5, y, { state: 'tentative' })]));
  t.same(apart, [], 'two sightings 3 s apart are not joined (relink.seconds 2)');
});

t.test('a gate polygon: entering counts in, leaving counts out', async (t) => {
  const gate = new LineCounter(resolveCountLine({ id: 'G1', type: 'count_line', polygon: [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6], [0.4, 0.6]] }));
  const sc = scene(walker('t1', [0, 0.5, 0.1], [10, 0.5, 0.9]), walker('t2', [0, 0.45, 0.5], [5, 0.1, 0.5]));
  t.same(dirs(play(gate, sc, 2, 10)).sort(), ['t1:person:in', 't1:person:out', 't2:person:out'], 'through: in and out; starting inside: out');
});

t.test('per minute: every class in both directions, zeros included; unwatched minutes are absent, a split minute has two ids', async (t) => {
  const line = resolveCountLine(ACROSS);
  const fc = new FlowCounter([line, resolveCountLine({ id: 'L2', type: 'count_line', line: [[0.1, 0.9], [0.9, 0.9]], classes: { person: ['person'] } })]);
  const sc = scene(walker('p1', [10, 0.5, 0.2], [20, 0.5, 0.8]), walker('c1', [70, 0.3, 0.8], [75, 0.3, 0.2], { objectClass: 'car' }));
  const closed: FlowMinute[] = [];
  for (let s = 0; s <= 130; s++) closed.push(...fc.step(at(s), s % 3 === 0 ? sc(s) : undefined).closed); // detector on every 3rd frame
  // camera dark from 131 s to 250 s, back for 20 s
  for (let s = 250; s <= 270; s++) closed.push(...fc.step(at(s), []).closed);
  closed.push(...fc.flush());
  const summary = closed.map((m) => `${m.lineId} ${new Date(m.minute).toISOString().slice(11, 16)} ${m.observedSeconds}s ${m.counts.map((c) => `${c.objectClass}.${c.direction}=${c.count}`).join(',')}`);
  t.same(summary, [
    'L1 06:00 60s person.in=0,person.out=1,vehicle.in=0,vehicle.out=0,bicycle.in=0,bicycle.out=0',
    'L2 06:00 60s person.in=0,person.out=0',
    'L1 06:01 60s person.in=0,person.out=0,vehicle.in=1,vehicle.out=0,bicycle.in=0,bicycle.out=0',
    'L2 06:01 60s person.in=0,person.out=0',
    'L1 06:02 10s person.in=0,person.out=0,vehicle.in=0,vehicle.out=0,bicycle.in=0,bicycle.out=0', // 120-130 s, then dark
    'L2 06:02 10s person.in=0,person.out=0',
    'L1 06:04 20s person.in=0,person.out=0,vehicle.in=0,vehicle.out=0,bicycle.in=0,bicycle.out=0', // 06:03 unwatched: absent; 250-270 s
    'L2 06:04 20s person.in=0,person.out=0',
  ]);
  const ctx = { gatewayId: 'gw-1', cameraId: 'cam-1', gridId: 'grid-1', lineGrids: new Map([['L2', 'grid-2']]) };
  const now = new Date(T0 + 300_000);
  const msgs = closed.map((m) => flowCountOf(m, ctx, now));
  t.same(msgs.map((m) => m.gridId), ['grid-1', 'grid-2', 'grid-1', 'grid-2', 'grid-1', 'grid-2', 'grid-1', 'grid-2'], 'a line may name its own grid');
  t.equal(new Set(msgs.map((m) => m.eventId)).size, msgs.length, 'one id per line and minute');
  // the same minute counted again after a restart at 06:04:30: its own id, and the same id on a replay
  const again = new FlowCounter([line]);
  again.step(at(270), []);
  const [split] = again.flush();
  const replay = new FlowCounter([line]);
  replay.step(at(270), []);
  const [same] = replay.flush();
  if (!split || !same) return t.fail('a partial minute');
  t.not(flowCountOf(split, ctx, now).eventId, msgs[6]?.eventId, 'a restart inside a minute: a second message with its own id');
  t.equal(flowCountOf(same, ctx, now).eventId, flowCountOf(split, ctx, now).eventId, 'a replay of the same frames: the same id');
});

t.test('a person whose track breaks at the line (occluded, a missed detection) still counts once', async (t) => {
  const c = new LineCounter(resolveCountLine(ACROSS));
  t.same(c.step(at(0), [track('t1', 0.5, 0.40)]), []);
  t.same(c.step(at(1), [track('t1', 0.5, 0.47, { state: 'lost' })]), [], 'lost just before the line');
  t.same(dirs(c.step(at(2), [track('t1', 0.5, 0.47, { state: 'lost' }), track('t9', 0.51, 0.53, { state: 'tentative' })])), ['t9:person:out'], 'a new track just past it continues t1: one crossing');
  t.same(dirs(c.step(at(2.5), [track('t1', 0.5, 0.47, { state: 'lost' }), track('t9', 0.51, 0.56)])), [], 'once');
  t.same(dirs(c.step(at(3), [track('t1', 0.5, 0.6), track('t9', 0.51, 0.6)])), [], 't1 matched again later: settles, no second count');
  // a track gone from the list for longer than relink.seconds, or far away, hands nothing on
  const d = new LineCounter(resolveCountLine(ACROSS));
  d.step(at(0), [track('a', 0.5, 0.4)]);
  d.step(at(1), []);
  t.same(dirs(d.step(at(4), [track('b', 0.5, 0.56)])), [], 'gone 3 s ago: a track of its own');
  d.step(at(5), [track('c', 0.2, 0.4)]);
  d.step(at(6), []);
  t.same(dirs(d.step(at(6.5), [track('e', 0.4, 0.56)])), [], '0.25 away: a different person');
  t.same(dirs(d.step(at(7), [track('e', 0.4, 0.3)])), ['e:person:in'], 'who then counts for itself');
});
