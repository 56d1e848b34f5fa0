/**
 * Alert fields by name, and matchers over them. One vocabulary for routes, silences, inhibition
 * and `groupBy`: `type`, `severity`, `zone`, `grid`, `community`, `shop`, `site`, `camera`,
 * `ruleId`, `ruleKind`, `alertId`, `labels.<name>`.
 */
import type { Alert } from '@streetwatch/schemas';
import type { Matcher, SilenceMatcher, TimeOfDay } from '../config/schema.js';

export function fieldValues(alert: Alert, field: string): string[] {
  const one = (v: string | undefined): string[] => (v === undefined ? [] : [v]);
  switch (field) {
    case 'alertId':
      return [alert.alertId];
    case 'type':
      return [alert.type];
    case 'severity':
      return [alert.severity];
    case 'zone':
      return one(alert.site.zoneId);
    case 'grid':
      return one(alert.site.gridId);
    case 'community':
      return one(alert.site.communityId);
    case 'shop':
      return one(alert.site.shopId);
    case 'site':
      return one(alert.site.siteId);
    case 'camera':
      return [...alert.site.cameraIds];
    case 'ruleId':
      return [alert.ruleId];
    case 'ruleKind':
      return [alert.ruleKind];
    default:
      if (field.startsWith('labels.')) return one(alert.labels[field.slice(7)]);
      return one(alert.labels[field]);
  }
}

/** The value of a field for grouping/equality: several values joined, '' when absent. */
export function fieldKey(alert: Alert, field: string): string {
  return fieldValues(alert, field).join(',');
}

const FIELDS = ['type', 'severity', 'zone', 'grid', 'community', 'shop', 'site', 'camera', 'ruleId', 'ruleKind'] as const;

export interface CompiledMatcher {
  (alert: Alert, now: number): boolean;
}

const regexCache = new Map<string, RegExp>();
function re(src: string): RegExp {
  let r = regexCache.get(src);
  if (!r) {
    r = new RegExp(`^(?:${src})$`);
    regexCache.set(src, r);
  }
  return r;
}

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

/** Compile a matcher: every stated condition must hold (an empty matcher matches everything). */
export function compileMatcher(m: Matcher | SilenceMatcher | undefined): CompiledMatcher {
  if (!m) return () => true;
  const checks: Array<(a: Alert, now: number) => boolean> = [];
  for (const f of FIELDS) {
    const want = m[f];
    if (want === undefined) continue;
    const allowed = new Set(list(want));
    checks.push((a) => fieldValues(a, f).some((v) => allowed.has(v)));
  }
  for (const [name, want] of Object.entries(m.labels ?? {})) {
    const allowed = new Set(list(want));
    checks.push((a) => {
      const v = a.labels[name];
      return v !== undefined && allowed.has(v);
    });
  }
  for (const [field, src] of Object.entries(m.regex ?? {})) {
    const r = re(src);
    checks.push((a) => fieldValues(a, field).some((v) => r.test(v)));
  }
  const tod = 'timeOfDay' in m ? m.timeOfDay : undefined;
  if (tod) checks.push((_a, now) => inTimeOfDay(tod, now));
  return (a, now) => checks.every((c) => c(a, now));
}

const partsCache = new Map<string, Intl.DateTimeFormat>();

/** Local weekday (1..7) and minutes since midnight in a time zone. */
export function localTime(now: number, timezone: string): { weekday: number; minutes: number } {
  let fmt = partsCache.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    partsCache.set(timezone, fmt);
  }
  let weekday = 1;
  let hour = 0;
  let minute = 0;
  for (const p of fmt.formatToParts(new Date(now))) {
    if (p.type === 'weekday') weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.value) + 1;
    else if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return { weekday, minutes: hour * 60 + minute };
}

/** `[from, to)` local time, crossing midnight when `from > to`; weekdays refer to the window's start day. */
export function inTimeOfDay(w: TimeOfDay, now: number): boolean {
  const { weekday, minutes } = localTime(now, w.timezone);
  const toMin = (s: string): number => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const from = toMin(w.from);
  const to = toMin(w.to);
  const days = w.weekdays ? new Set(w.weekdays) : undefined;
  if (from <= to) return minutes >= from && minutes < to && (!days || days.has(weekday));
  // Crosses midnight: the part after midnight belongs to the previous day's window.
  if (minutes >= from) return !days || days.has(weekday);
  if (minutes < to) return !days || days.has(weekday === 1 ? 7 : weekday - 1);
  return false;
}
