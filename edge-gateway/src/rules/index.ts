export {
  DEFAULT_TIMEZONE,
  resolveZone,
  RulesConfigSchema,
  VIOLATION_TYPES,
  ZONE_DEFAULTS,
  ZoneSchema,
  type RulesConfig,
  type ViolationType,
  type Zone,
  type ZoneConfig,
} from './config.js';
export { RuleEngine, violationIdOf, type EndReason, type RuleInput, type ViolationEvent, type ViolationPhase } from './engine.js';
export { anchorOf, inPolygon, type Point, type Polygon } from './geometry.js';
export { STATIC_OBJECT_CLASS } from './observe.js';
export { inWindows, type TimeWindow, type Weekday } from './schedule.js';
