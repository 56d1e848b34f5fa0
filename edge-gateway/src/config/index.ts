export { analyticsFor, loadGatewayConfig, parseGatewayConfig, sourceConfigOf, validateGatewayConfigFile } from './parse.js';
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
