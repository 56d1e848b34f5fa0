/**
 * The seams between the router's two halves: delivery (routing, channels, retries) and work
 * orders (lifecycle, API, console, escalation). Each half implements one interface and receives
 * the other through `deps`; neither imports the other's internals.
 */
import type { Alert, WorkOrderEvent, WorkOrderStatus } from '@streetwatch/schemas';

export interface WorkOrderRef {
  readonly workOrderId: string;
  readonly departmentId: string;
  readonly alertId: string;
  readonly status: WorkOrderStatus;
  /** false when the work order already existed for (alertId, departmentId): dedup. */
  readonly created: boolean;
}

/** Implemented by the work-order half (src/workorders). */
export interface WorkOrderService {
  /** Create the work order for an alert and department, once: idempotent on (alertId, departmentId). */
  dispatch(alert: Alert, departmentId: string, opts?: { deadline?: Date }): Promise<WorkOrderRef>;
  /** The same for several pairs in one transaction (a flush's batch); refs in the order given. */
  dispatchMany(items: ReadonlyArray<{ alert: Alert; departmentId: string }>): Promise<WorkOrderRef[]>;
  /** Attach a violation's `end` ("cleared at ...") to open work orders of that violation. */
  attachClearance(violationId: string, clearedAt: Date): Promise<number>;
}

/** Who an escalation step notifies. */
export type EscalationTarget = 'department' | 'on-duty' | 'head' | 'next-level';

/** Implemented by the delivery half (src/delivery): sends through the department's configured channels. */
export interface Notifier {
  notify(req: {
    readonly workOrderId: string;
    readonly departmentId: string;
    readonly alert: Alert;
    readonly target: EscalationTarget;
    /** Idempotency key: the same key is never delivered twice on the same channel. */
    readonly key: string;
  }): Promise<void>;
}

/** Live push to the department console (SSE). Implemented by the work-order half. */
export interface ConsoleFeed {
  publish(departmentId: string, event: WorkOrderEvent): void;
}
