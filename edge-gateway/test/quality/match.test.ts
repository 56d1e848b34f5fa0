/** The quality evaluator's matcher (bench/quality/match.ts) on synthetic alarm lists. */
import t from 'tap';
import { matchScene, percentile, summarize, windowOf, type Alarm, type TruthEvent } from '../../../bench/quality/match.js';

const ev = (id: string, onset: number, end: number, over: Partial<TruthEvent> = {}): TruthEvent => ({ id, type: 'dumping', zone: 'D', onset, end, dwell: 20, ...over });
const al = (time: number, over: Partial<Alarm> = {}): Alarm => ({ type: 'dumping', zone: 'D', time, endTime: 70, ...over });
const kinds = (o: ReturnType<typeof matchScene>): string[] => o.map((x) => x.kind);

t.test('the window is [eligibility - 5 s, min(end, eligibility + 30 s)]', async (t) => {
  t.same(windowOf(ev('a', 10, 100)), [25, 60]);
  t.same(windowOf(ev('a', 10, 40)), [25, 40], 'capped by the end of the truth');
});

t.test('an alarm inside the window is a true positive with its latency after eligibility and end latency', async (t) => {
  const [o] = matchScene({ duration: 90, events: [ev('a', 10, 60)] }, [al(33, { endTime: 75 })]);
  t.match(o, { kind: 'tp', latency: 3, endLatency: 15, openAtEnd: false });
});

t.test('too early or too late is a false positive and a miss', async (t) => {
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 100)] }, [al(24.9)])), ['fp', 'miss'], '0.1 s before the window');
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 100)] }, [al(60.1)])), ['fp', 'miss'], 'after eligibility + 30 s');
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 45)] }, [al(46)])), ['fp', 'miss'], 'after the object left');
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 100)] }, [al(25), al(60)])), ['tp', 'duplicate'], 'both edges are inside');
});

t.test('type and zone must both agree', async (t) => {
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 100)] }, [al(30, { zone: 'S' })])), ['fp', 'miss']);
  t.same(kinds(matchScene({ duration: 90, events: [ev('a', 10, 100)] }, [al(30, { type: 'street_vendor' })])), ['fp', 'miss']);
});

t.test('one-to-one, earliest first: a second alarm on a matched event is a duplicate, not a second hit', async (t) => {
  const o = matchScene({ duration: 120, events: [ev('a', 10, 100)] }, [al(50), al(30), al(90)]);
  t.same(kinds(o), ['tp', 'duplicate', 'duplicate']);
  t.match(o[0], { kind: 'tp', alarm: { time: 30 } }, 'the earliest alarm is the match');
});

t.test('an alarm after the matched object left is a false positive, not a duplicate', async (t) => {
  t.same(kinds(matchScene({ duration: 120, events: [ev('a', 10, 50)] }, [al(30), al(55)])), ['tp', 'fp']);
});

t.test('two events in one zone (an object replaced by another) need two alarms', async (t) => {
  const events = [ev('a', 10, 50), ev('b', 52, 110)];
  t.same(kinds(matchScene({ duration: 130, events }, [al(31)])), ['tp', 'miss']);
  const both = matchScene({ duration: 130, events }, [al(31), al(74)]);
  t.same(kinds(both), ['tp', 'tp']);
  t.match(both[1], { event: { id: 'b' }, latency: 2 });
  t.same(kinds(matchScene({ duration: 130, events }, [al(31), al(45)])), ['tp', 'duplicate', 'miss'], 'the second alarm came while the first object still stood: the second object is missed');
});

t.test('a violation not ended within the scene is open at the end; its end latency is a lower bound', async (t) => {
  const [a] = matchScene({ duration: 90, events: [ev('a', 10, 60)] }, [al(31, { endTime: undefined })]);
  t.match(a, { kind: 'tp', openAtEnd: true, endLatency: 30 });
  const [b] = matchScene({ duration: 90, events: [ev('a', 10, 60)] }, [al(31, { endTime: 90, endAtShutdown: true })]);
  t.match(b, { kind: 'tp', openAtEnd: true, endLatency: 30 }, 'a shutdown end is not an end seen on video');
});

t.test('a scene with no truth: every alarm is a false positive', async (t) => {
  t.same(kinds(matchScene({ duration: 60, events: [] }, [al(10), al(20)])), ['fp', 'fp']);
});

t.test('summaries per type: precision, recall, F1, false alarms per camera-hour, latency percentiles', async (t) => {
  const s1 = matchScene({ duration: 1800, events: [ev('a', 10, 100), ev('b', 200, 400)] }, [al(30, { endTime: 110 }), al(230, { endTime: 420 }), al(500), al(40)]);
  const s2 = matchScene({ duration: 1800, events: [ev('c', 10, 100, { type: 'street_vendor', zone: 'V' })] }, [al(35, { type: 'street_vendor', zone: 'V', endTime: 130 })]);
  const [d, v, p] = summarize(['dumping', 'street_vendor', 'illegal_parking'], [...s1, ...s2], 1);
  t.match(d, { tp: 2, fp: 1, misses: 0, duplicates: 1, precision: 2 / 3, recall: 1, falseAlarmsPerCameraHour: 1, latencyMedian: 0, latencyP90: 10, endLatencyMedian: 10, endLatencyP90: 20 });
  t.ok(Math.abs((d?.f1 ?? 0) - 0.8) < 1e-9, `F1 ${d?.f1}`);
  t.match(v, { tp: 1, fp: 0, misses: 0, precision: 1, recall: 1, f1: 1, latencyMedian: 5, endLatencyMedian: 30 });
  t.match(p, { tp: 0, fp: 0, misses: 0, precision: null, recall: null, f1: null, latencyMedian: null });
});

t.test('percentile is nearest-rank', async (t) => {
  t.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  t.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
  t.equal(percentile([], 90), null);
});
