export { EvidenceLinks, type EvidenceLinksDeps, type IssuedLink, type LinkChannel, type LinkRequest } from './links.js';
export { evidenceLinkRoutes, registerEvidenceView } from './routes.js';
export { signLinkId, verifyLinkToken } from './tokens.js';
export { evidenceLinksFrom } from './setup.js';
