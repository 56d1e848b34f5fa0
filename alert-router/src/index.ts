/** The public entry: what benches and embedding code need to build the two halves (main.ts runs the service). */
export { RouterConfig } from './config/schema.js';
export { loadRouterConfig, parseRouterConfig } from './config/load.js';
export { secretResolver } from './config/secrets.js';
export { DeliveryPipeline, migrateRouter, type PipelineDeps } from './pipeline.js';
export { WorkOrdersConfig, createWorkOrderService, type WorkOrders } from './workorders/index.js';
export { LiveConfig, LiveHub, type LiveSocket } from './live/index.js';
