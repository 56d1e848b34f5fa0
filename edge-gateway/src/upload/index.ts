export { EvidenceStoreConfigSchema, type EvidenceStoreConfig } from './config.js';
export { Uploader, type UploaderConfig, type UploaderDeps } from './uploader.js';
