import { Type, type TString } from '@sinclair/typebox';

/** A duration in config: `250ms`, `30s`, `10m`, `2h`, `7d` (a number and one unit). */
export function Duration(def?: string): TString {
  return Type.String({
    pattern: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$',
    description: 'e.g. 500ms, 30s, 10m, 2h, 7d',
    ...(def === undefined ? {} : { default: def }),
  });
}

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a validated duration string. */
export function ms(d: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new RangeError(`not a duration: ${d}`);
  return Math.round(Number(m[1]) * (UNIT[m[2] as string] as number));
}

/** Human form for titles: 600000 → `10m`, 90000 → `90s`. */
export function humanDuration(msValue: number): string {
  if (msValue % 86_400_000 === 0 && msValue > 0) return `${msValue / 86_400_000}d`;
  if (msValue % 3_600_000 === 0 && msValue > 0) return `${msValue / 3_600_000}h`;
  if (msValue % 60_000 === 0 && msValue > 0) return `${msValue / 60_000}m`;
  if (msValue % 1000 === 0) return `${msValue / 1000}s`;
  return `${msValue}ms`;
}
