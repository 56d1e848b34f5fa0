import type { Alert } from '@streetwatch/schemas';
import type { EscalationTarget } from '../seams.js';
import { DEFAULT_CHAIN, type EscalationChain, type WorkOrdersConfig } from './config.js';
import type { DeadlineStep } from './states.js';

const FIELD: Record<DeadlineStep, 'signWithinS' | 'handleWithinS' | 'verifyWithinS'> = {
  sign: 'signWithinS',
  handle: 'handleWithinS',
  verify: 'verifyWithinS',
};

/** Seconds allowed for `step` of an alert of `type` (per-type override, else default); 0 = none. */
export function stepAllowanceS(config: WorkOrdersConfig, type: Alert['type'], step: DeadlineStep): number {
  const own = config.deadlines.byType[type]?.[FIELD[step]];
  return own ?? config.deadlines.default[FIELD[step]];
}

export function stepDeadline(config: WorkOrdersConfig, type: Alert['type'], step: DeadlineStep, from: Date): Date | null {
  const s = stepAllowanceS(config, type, step);
  return s > 0 ? new Date(from.getTime() + s * 1000) : null;
}

/** The department's chain, else the configured default, else the built-in one. */
export function chainFor(config: WorkOrdersConfig, departmentId: string): EscalationChain {
  return config.departments.find((d) => d.id === departmentId)?.escalation ?? config.escalation.default ?? DEFAULT_CHAIN;
}

export interface EscalationLevel {
  readonly level: number;
  readonly dueAt: Date;
  readonly target: EscalationTarget;
}

/** When level `level` (1-based) of the chain is due after `deadline`; null past the chain's end. */
export function levelAt(chain: EscalationChain, deadline: Date, level: number): EscalationLevel | null {
  if (level < 1 || level > chain.maxLevels) return null;
  const steps = chain.steps;
  const last = steps[steps.length - 1];
  if (!last) return null;
  const step = steps[level - 1];
  if (step) return { level, dueAt: new Date(deadline.getTime() + step.afterS * 1000), target: step.target };
  if (chain.repeatEveryS <= 0) return null;
  const extra = level - steps.length;
  return { level, dueAt: new Date(deadline.getTime() + (last.afterS + extra * chain.repeatEveryS) * 1000), target: last.target };
}

/** Levels after `firedLevel` that are due at `now`, in order, and when the next one will be. */
export function dueLevels(
  chain: EscalationChain,
  deadline: Date,
  firedLevel: number,
  now: Date,
): { due: EscalationLevel[]; nextAt: Date | null } {
  const due: EscalationLevel[] = [];
  for (let level = firedLevel + 1; ; level++) {
    const l = levelAt(chain, deadline, level);
    if (!l) return { due, nextAt: null };
    if (l.dueAt.getTime() > now.getTime()) return { due, nextAt: l.dueAt };
    due.push(l);
  }
}
