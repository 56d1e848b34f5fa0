/** The bench's input: detection events of CAMERAS cameras in event-time order, and its rules. */
import { exampleDetection, type DetectionEvent } from '@streetwatch/schemas';

export const CAMERAS = 240;
export const T0 = Date.parse('2026-11-26T00:00:00Z');

export const RULES = [
  // A heavy alert load, on purpose: about a third of the violations (6% of the events) end in an
  // alert (or a shop colour change), far more than a city's cameras would give; each costs ~55 µs of
  // CPU in all (build, validate, encode, produce, ack), so the bench does not flatter the processor.
  { id: 'repeat', kind: 'count', filters: { types: ['illegal_parking'] }, threshold: 3, window: '5m', groupBy: 'zone' },
  { id: 'dwell', kind: 'dwell', minDuration: '70s' },
  { id: 'shop', kind: 'score', filters: { types: ['shopfront_spillover'] }, weights: { shopfront_spillover: 30 }, halfLife: '2m', thresholds: { yellow: 40, red: 80 } },
];

/** Camera c's violations, one after another: start, updates every 10 s, end (event-time order). */
function* cameraEvents(c: number, startAt: number, wallStamp: boolean): Generator<DetectionEvent> {
  const cam = `cam-${c}`;
  let start = startAt + c * 37;
  for (let j = 0; ; j++) {
    const zone = `Z${j % 3}`;
    const spill = c % 10 === 0 && j % 2 === 0;
    const vid = `v-${startAt}-${c}-${j}`;
    const duration = 15_000 + ((c * 13 + j * 7) % 60) * 1000;
    const base = {
      violationId: vid,
      type: spill ? ('shopfront_spillover' as const) : ('illegal_parking' as const),
      cameraId: cam,
      zoneId: zone,
      ...(spill ? { shopId: `S${c}` } : {}),
      startedAt: new Date(start).toISOString(),
    };
    const phases: Array<[DetectionEvent['phase'], number]> = [['start', start]];
    for (let u = start + 10_000; u < start + duration; u += 10_000) phases.push(['update', u]);
    phases.push(['end', start + duration]);
    for (const [phase, t] of phases) {
      yield exampleDetection({
        ...base,
        eventId: `${vid}-${phase}-${t}`,
        phase,
        eventTime: new Date(t).toISOString(),
        processedAt: new Date(wallStamp ? Date.now() : t).toISOString(),
        dwellSeconds: (t - start) / 1000,
      });
    }
    start += duration + 2000 + ((c + j) % 5) * 1000;
  }
}

/** All cameras merged in event-time order, like live traffic (each partition in time order). */
export function* events(count: number, startAt = T0, wallStamp = false): Generator<DetectionEvent> {
  const gens = Array.from({ length: CAMERAS }, (_, c) => cameraEvents(c, startAt, wallStamp));
  const heads = gens.map((g) => g.next().value as DetectionEvent);
  const times = heads.map((e) => Date.parse(e.eventTime));
  for (let n = 0; n < count; n++) {
    let c = 0;
    for (let i = 1; i < CAMERAS; i++) if ((times[i] as number) < (times[c] as number)) c = i;
    yield heads[c] as DetectionEvent;
    heads[c] = (gens[c] as Generator<DetectionEvent>).next().value as DetectionEvent;
    times[c] = Date.parse((heads[c] as DetectionEvent).eventTime);
  }
}

