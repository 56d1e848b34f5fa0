/** The live camera view: tickets, the relay hub, its routes (see routes.ts and the README). */
export { checkLiveReferences, LiveConfig, liveServeOf, type LiveCameraConfig, type LiveServe } from './config.js';
export { CLOSE_CODES, closeWith, LiveHub, type LiveCameraStatus, type LiveSocket } from './hub.js';
export { inlineGatewayTokens, liveApiRoutes, mayWatch, playerFile, registerLive, type LiveDeps } from './routes.js';
export { liveFrom } from './setup.js';
export { LiveTickets, signTicketId, verifyTicket, type IssuedTicket, type Redeemed } from './tickets.js';
