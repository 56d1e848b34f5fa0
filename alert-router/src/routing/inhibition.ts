/**
 * Inhibition: an active alert matching a rule's `source` suppresses alerts matching its `target`
 * that share the `equal` fields (a red-shop alert for shop S inhibits S's spillover alerts). Source
 * alerts are remembered for `resolveTimeout` after they arrived (alerts carry no end), and reloaded
 * from PostgreSQL at start.
 */
import type { Pool } from '@streetwatch/platform';
import type { Alert } from '@streetwatch/schemas';
import type { InhibitRule } from '../config/schema.js';
import { compileMatcher, fieldKey, type CompiledMatcher } from './match.js';

interface Compiled {
  readonly index: number;
  readonly source: CompiledMatcher;
  readonly target: CompiledMatcher;
  readonly equal: readonly string[];
  /** equal-values key → source alert id and when it arrived. */
  readonly seen: Map<string, { alertId: string; at: number }>;
}

export class Inhibitor {
  private readonly rules: Compiled[];

  constructor(
    rules: readonly InhibitRule[],
    private readonly resolveTimeoutMs: number,
  ) {
    this.rules = rules.map((r, index) => ({
      index,
      source: compileMatcher(r.source),
      target: compileMatcher(r.target),
      equal: r.equal,
      seen: new Map(),
    }));
  }

  private key(rule: Compiled, a: Alert): string | undefined {
    const values = rule.equal.map((f) => fieldKey(a, f));
    // An alert without the equal fields cannot take part (no shop → nothing to compare).
    return values.some((v) => v === '') ? undefined : values.join('\u0000');
  }

  /** Remember an arriving alert if it is a source of some rule. */
  observe(a: Alert, at: number): void {
    for (const r of this.rules) {
      if (!r.source(a, at)) continue;
      const k = this.key(r, a);
      if (k === undefined) continue;
      const prev = r.seen.get(k);
      if (!prev || prev.at < at) r.seen.set(k, { alertId: a.alertId, at });
    }
  }

  /** `inhibit-rule-<n>:<source alertId>` when the alert is inhibited at `now`. */
  inhibitedBy(a: Alert, now: number): string | undefined {
    for (const r of this.rules) {
      if (!r.target(a, now)) continue;
      const k = this.key(r, a);
      if (k === undefined) continue;
      const src = r.seen.get(k);
      if (src && src.alertId !== a.alertId && now - src.at < this.resolveTimeoutMs) return `inhibit-rule-${r.index}:${src.alertId}`;
    }
    return undefined;
  }

  /** Reload recent alerts after a restart. */
  async load(pool: Pool, now: number): Promise<void> {
    if (this.rules.length === 0) return;
    const res = await pool.query<{ alert: Alert; received_at: Date }>(
      'SELECT alert, received_at FROM router_alerts WHERE received_at > $1 ORDER BY received_at',
      [new Date(now - this.resolveTimeoutMs)],
    );
    for (const r of res.rows) this.observe(r.alert, r.received_at.getTime());
  }
}
