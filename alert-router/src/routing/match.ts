/**
 * Alert fields by name, and matchers over them. One vocabulary for routes, silences, inhibition
 * and `groupBy`: `type`, `severity`, `zone`, `grid`, `community`, `shop`, `site`, `camera`,
 * `ruleId`, `ruleKind`, `alertId`, `labels.<name>`.
 */
import { EVERY_DAY, inWindows } from '@streetwatch/platform';
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

/**
 * `[from, to)` local time, crossing midnight when `to` is not after `from` (the part after
 * midnight belongs to the day the window starts on); all days when `days` is absent. The
 * platform's one schedule vocabulary (platform/src/time-windows.ts), as at the edge and in the processor.
 */
export function inTimeOfDay(w: TimeOfDay, now: number): boolean {
  return inWindows(now, [{ days: w.days ?? EVERY_DAY, from: w.from, to: w.to }], w.timezone);
}
