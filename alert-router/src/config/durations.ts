import { StreetwatchError } from '@streetwatch/platform';

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms` → 250, `5m` → 300000. The schema checks the shape; this converts. */
export function ms(d: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new StreetwatchError('SW_CONFIG_INVALID', `not a duration: ${d}`);
  return Number(m[1]) * (UNIT[m[2] as string] as number);
}
