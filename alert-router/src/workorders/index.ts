import type { WorkOrdersConfig } from './config.js';
import { WorkOrders, type WorkOrderServiceDeps } from './service.js';

export { WorkOrdersConfig, DEFAULT_CHAIN, type EscalationChain, type UserConfig, type Role } from './config.js';
export { WORKORDER_ERRORS, WorkOrderError, type WorkOrderErrorCode } from './errors.js';
export { ManualClock, systemClock, type Clock } from '@streetwatch/platform';
export { WorkOrders, type WorkOrderServiceDeps } from './service.js';
export { RULES, OPEN_STATUSES, allowedActions, type UserAction } from './states.js';
export type { User, WorkOrderSummary, WorkOrderDetail } from './model.js';

/**
 * The work-order half: implements the seam's WorkOrderService (`dispatch`, `attachClearance`) and
 * exposes the console feed as `.feed` (the seam's ConsoleFeed). Call `start()` (outbox drain +
 * escalation timer) and `close()` (idempotent) from main.ts; mount the API with
 * `registerWorkOrderRoutes(app, { workOrders })` from api/routes.ts (the API sits on top of this half). Migrations: alert-router/migrations/2xx_*.sql.
 */
export function createWorkOrderService(config: WorkOrdersConfig, deps: WorkOrderServiceDeps): WorkOrders {
  return new WorkOrders(config, deps);
}
