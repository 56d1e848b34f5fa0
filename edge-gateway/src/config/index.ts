export { analyticsFor, detectorQueueBound, loadGatewayConfig, parseGatewayConfig, sourceConfigOf, validateGatewayConfigFile } from './parse.js';
export { EDGE_REDACT_PATHS, resolveSourceSecrets, type SecretContext } from './secrets.js';
export {
  AnalyticsConfigSchema,
  EvidenceConfigSchema,
  GatewayCameraSchema,
  GatewayConfigSchema,
  GatewayZoneSchema,
  HttpConfigSchema,
  KafkaConfigSchema,
  withoutDefaults,
  type AnalyticsConfig,
  type AnalyticsOverride,
  type GatewayCameraConfig,
  type GatewayConfig,
  type GatewayZoneConfig,
} from './schema.js';
