/**
 * Detection messages for the history sink, exactly as they were on the topic: their JSON texts
 * joined by commas (PostgreSQL parses them; nothing is re-encoded), and the UTC days they fall on
 * (the day partitions they need).
 */
export interface SinkRows {
  readonly json: string;
  readonly count: number;
  readonly days: readonly string[];
}

/** The UTC calendar days (YYYY-MM-DD) of RFC 3339 times. */
export function utcDays(times: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const t of times) out.add(t.endsWith('Z') ? t.slice(0, 10) : new Date(t).toISOString().slice(0, 10));
  return out;
}
