import type { WorkOrderEvent, WorkOrderStatus } from '@streetwatch/schemas';
import type { Role } from './config.js';

/**
 * The work-order state machine (派遣 → 签收 → 处置/反馈 → 核查 → 结案; 退单 with a reason).
 *
 *   dispatched ──sign──▶ signed ──handle──▶ handled ──verify──▶ verified ──close──▶ closed
 *        │                 │  ▲                │ feedback (stays handled)
 *        └──return──┐      │  └──reject────────┘   (核查 not passed: back to signed)
 *                   ▼      ▼
 *                  returned ──redispatch (supervisor)──▶ dispatched (same or another department)
 *   mark false positive / duplicate: any open status ──▶ closed
 *
 * Verification rejected (核查不通过) is published as action `verify_rejected` with status `signed`.
 */
export type UserAction =
  | 'sign'
  | 'handle'
  | 'feedback'
  | 'verify'
  | 'reject'
  | 'close'
  | 'return'
  | 'redispatch'
  | 'mark_false_positive'
  | 'mark_duplicate';

export interface TransitionRule {
  readonly from: readonly WorkOrderStatus[];
  readonly to: WorkOrderStatus;
  readonly roles: readonly Role[];
  readonly event: WorkOrderEvent['action'];
  /** Chinese label for the console and history. */
  readonly zh: string;
}

const ANY: readonly Role[] = ['staff', 'head', 'supervisor'];
const LEADS: readonly Role[] = ['head', 'supervisor'];
export const OPEN_STATUSES: readonly WorkOrderStatus[] = ['dispatched', 'signed', 'handled', 'verified'];

export const RULES: Readonly<Record<UserAction, TransitionRule>> = {
  sign: { from: ['dispatched'], to: 'signed', roles: ANY, event: 'signed', zh: '签收' },
  handle: { from: ['signed'], to: 'handled', roles: ANY, event: 'handled', zh: '处置' },
  feedback: { from: ['handled'], to: 'handled', roles: ANY, event: 'feedback', zh: '反馈' },
  verify: { from: ['handled'], to: 'verified', roles: LEADS, event: 'verified', zh: '核查通过' },
  reject: { from: ['handled'], to: 'signed', roles: LEADS, event: 'verify_rejected', zh: '核查不通过' },
  close: { from: ['verified'], to: 'closed', roles: LEADS, event: 'closed', zh: '结案' },
  return: { from: ['dispatched', 'signed'], to: 'returned', roles: ['staff', 'head'], event: 'returned', zh: '退单' },
  redispatch: { from: ['returned'], to: 'dispatched', roles: ['supervisor'], event: 'dispatched', zh: '重新派遣' },
  mark_false_positive: { from: OPEN_STATUSES, to: 'closed', roles: LEADS, event: 'marked_false_positive', zh: '误报' },
  mark_duplicate: { from: OPEN_STATUSES, to: 'closed', roles: LEADS, event: 'marked_duplicate', zh: '重复' },
};

export function canTransition(action: UserAction, status: WorkOrderStatus): boolean {
  return RULES[action].from.includes(status);
}

export function roleMay(action: UserAction, role: Role): boolean {
  return RULES[action].roles.includes(role);
}

/** What this role can do now: the console draws exactly these buttons. */
export function allowedActions(status: WorkOrderStatus, role: Role): UserAction[] {
  return (Object.keys(RULES) as UserAction[]).filter((a) => canTransition(a, status) && roleMay(a, role));
}

export type DeadlineStep = 'sign' | 'handle' | 'verify';

/** The step whose deadline runs while a work order is in `status` (none when closed/returned/verified). */
export function deadlineStepFor(status: WorkOrderStatus): DeadlineStep | null {
  switch (status) {
    case 'dispatched':
      return 'sign';
    case 'signed':
      return 'handle';
    case 'handled':
      return 'verify';
    default:
      return null;
  }
}
