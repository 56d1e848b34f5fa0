/**
 * Scoring of violation alarms against a scene's ground truth (issue 11), pure: no I/O.
 *
 * - A truth event is a violation that should be reported: `type` in `zone`, its condition holding
 *   from `onset` to `end` (seconds from the scene's start), reportable once it has held for the
 *   zone's `dwell`: eligibility = onset + dwell.
 * - An alarm is a `start` event (its time = eventTime, seconds from the scene's start) and, if the
 *   violation ended, the time of its `end` event.
 * - Matching is one-to-one, earliest alarm first: an alarm matches the not-yet-matched event of the
 *   same type and zone whose window [eligibility - 5 s, min(end, eligibility + 30 s)] holds the
 *   alarm's time (the earliest-eligible such event when several do). A later alarm that falls in an
 *   already matched event's [window start, end] is a duplicate; any other alarm is a false positive;
 *   an event no alarm matched is a miss.
 * - Latency after eligibility = alarm time - eligibility (matched alarms). End latency = the matched
 *   alarm's end time - the event's end; a violation still open when the scene ended (no `end`, or one
 *   only from the shutdown) is counted as `openAtEnd` and its end latency taken as scene end - truth
 *   end (a lower bound).
 */

export interface TruthEvent {
  readonly id: string;
  readonly type: string;
  readonly zone: string;
  readonly onset: number;
  readonly end: number;
  readonly dwell: number;
}

export interface Alarm {
  readonly type: string;
  readonly zone: string;
  /** start eventTime, seconds from the scene's start */
  readonly time: number;
  /** end eventTime (seconds), undefined when the violation never ended within the scene */
  readonly endTime?: number;
  /** true when the end came only from the shutdown at the scene's end (not seen on video) */
  readonly endAtShutdown?: boolean;
  readonly violationId?: string;
}

export interface SceneTruth {
  readonly events: readonly TruthEvent[];
  /** scene length, seconds */
  readonly duration: number;
}

export type Outcome =
  | { kind: 'tp'; alarm: Alarm; event: TruthEvent; latency: number; endLatency: number; openAtEnd: boolean }
  | { kind: 'duplicate'; alarm: Alarm; event: TruthEvent }
  | { kind: 'fp'; alarm: Alarm }
  | { kind: 'miss'; event: TruthEvent };

export const EARLY_SECONDS = 5;
export const LATE_SECONDS = 30;

export function eligibility(e: TruthEvent): number {
  return e.onset + e.dwell;
}

/** [from, to] in which an alarm matches `e`. */
export function windowOf(e: TruthEvent): [number, number] {
  const el = eligibility(e);
  return [el - EARLY_SECONDS, Math.min(e.end, el + LATE_SECONDS)];
}

/** Match one scene's alarms to its truth (see the module comment). */
export function matchScene(truth: SceneTruth, alarms: readonly Alarm[]): Outcome[] {
  const sorted = alarms.slice().sort((a, b) => a.time - b.time);
  const events = truth.events.slice().sort((a, b) => eligibility(a) - eligibility(b));
  const matched = new Map<TruthEvent, Alarm>();
  const out: Outcome[] = [];
  for (const alarm of sorted) {
    const same = events.filter((e) => e.type === alarm.type && e.zone === alarm.zone);
    const hit = same.find((e) => {
      if (matched.has(e)) return false;
      const [from, to] = windowOf(e);
      return alarm.time >= from && alarm.time <= to;
    });
    if (hit) {
      matched.set(hit, alarm);
      const ended = alarm.endTime !== undefined && !alarm.endAtShutdown;
      const endLatency = (ended ? (alarm.endTime as number) : truth.duration) - hit.end;
      out.push({ kind: 'tp', alarm, event: hit, latency: alarm.time - eligibility(hit), endLatency, openAtEnd: !ended });
      continue;
    }
    const dupOf = same.find((e) => matched.has(e) && alarm.time >= windowOf(e)[0] && alarm.time <= e.end);
    out.push(dupOf ? { kind: 'duplicate', alarm, event: dupOf } : { kind: 'fp', alarm });
  }
  for (const e of events) if (!matched.has(e)) out.push({ kind: 'miss', event: e });
  return out;
}

export interface TypeSummary {
  type: string;
  tp: number;
  fp: number;
  misses: number;
  duplicates: number;
  /** null when there was nothing to divide by */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** false positives per hour of video evaluated (all scenes, every scene counts for every type) */
  falseAlarmsPerCameraHour: number;
  latencyMedian: number | null;
  latencyP90: number | null;
  endLatencyMedian: number | null;
  endLatencyP90: number | null;
  /** matched violations still open at the scene's end */
  openAtEnd: number;
}

/** Nearest-rank percentile (p in 0-100) of `values`; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const s = values.slice().sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1] as number;
}

const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** Per-type totals over many scenes' outcomes; `hours` = total video evaluated. */
export function summarize(types: readonly string[], outcomes: readonly Outcome[], hours: number): TypeSummary[] {
  return types.map((type) => {
    const of = outcomes.filter((o) => (o.kind === 'miss' ? o.event.type : o.alarm.type) === type);
    const tps = of.filter((o): o is Extract<Outcome, { kind: 'tp' }> => o.kind === 'tp');
    const tp = tps.length;
    const fp = of.filter((o) => o.kind === 'fp').length;
    const misses = of.filter((o) => o.kind === 'miss').length;
    const precision = ratio(tp, tp + fp);
    const recall = ratio(tp, tp + misses);
    const f1 = precision === null || recall === null || precision + recall === 0 ? (tp + fp + misses === 0 ? null : 0) : (2 * precision * recall) / (precision + recall);
    const lat = tps.map((o) => o.latency);
    const endLat = tps.map((o) => o.endLatency);
    return {
      type,
      tp,
      fp,
      misses,
      duplicates: of.filter((o) => o.kind === 'duplicate').length,
      precision,
      recall,
      f1,
      falseAlarmsPerCameraHour: hours > 0 ? fp / hours : 0,
      latencyMedian: percentile(lat, 50),
      latencyP90: percentile(lat, 90),
      endLatencyMedian: percentile(endLat, 50),
      endLatencyP90: percentile(endLat, 90),
      openAtEnd: tps.filter((o) => o.openAtEnd).length,
    };
  });
}
