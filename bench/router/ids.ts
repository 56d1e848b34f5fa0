/**
 * Bench alert ids. Real ones are hashes (`al-` + 32 hex, stream-processor rules/alert.ts), so every
 * index keyed by an alert id takes its inserts at random pages; sequential ids (`burst-17`) would land
 * them on the same few pages and flatter PostgreSQL's cost. The label stays in front so phases can
 * be told apart (`burst-…`, `r1000-…`).
 */
import { createHash } from 'node:crypto';

export function benchAlertId(label: string, i: number): string {
  return `${label}-${createHash('sha256').update(`${label}\n${i}`).digest('hex').slice(0, 32)}`;
}
