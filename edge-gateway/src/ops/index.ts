export { createEdgeOpsServer, type EdgeOpsDeps } from './server.js';
