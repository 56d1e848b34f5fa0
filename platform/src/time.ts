/**
 * A time (ms since the epoch, or a Date) as ISO-8601 UTC with milliseconds: the one form the
 * contracts, the logs and PostgreSQL parameters take.
 */
export function iso(t: number | Date): string {
  return (typeof t === 'number' ? new Date(t) : t).toISOString();
}
