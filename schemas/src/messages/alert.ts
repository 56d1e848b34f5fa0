import { Type, type Static } from '@sinclair/typebox';
import { EvidenceRef, Id, Labels, SchemaVersion, Severity, Timestamp, ViolationType } from './common.js';

/**
 * A threshold alert from the stream processor. `alertId` is deterministic from rule + key +
 * window (or violation), so a replay or restart yields the same id and the router delivers it once.
 */
export const Alert = Type.Object(
  {
    schemaVersion: SchemaVersion,
    alertId: Id,
    ruleId: Id,
    /** count / dwell / score: rules over violations; health: a camera that can no longer see (tampered). */
    ruleKind: Type.Union([Type.Literal('count'), Type.Literal('dwell'), Type.Literal('score'), Type.Literal('health')]),
    /** The state key the rule aggregated on, e.g. `zone:cam-03/P1` or `shop:S17`. */
    key: Type.String({ minLength: 1, maxLength: 256 }),
    /** A violation type; shop_red (a shop's profile turned red); camera_tampered (a camera covered, blurred or moved: for its owner). */
    type: Type.Union([ViolationType, Type.Literal('shop_red'), Type.Literal('camera_tampered')]),
    severity: Severity,
    title: Type.String({ minLength: 1, maxLength: 256 }),
    window: Type.Object({ start: Timestamp, end: Timestamp }, { additionalProperties: false }),
    count: Type.Integer({ minimum: 0 }),
    violationIds: Type.Array(Id, { maxItems: 500 }),
    evidence: Type.Array(EvidenceRef, { maxItems: 20 }),
    site: Type.Object(
      {
        /** Cameras whose violations made the alert; empty when inspections alone turned a shop red. */
        cameraIds: Type.Array(Id, { maxItems: 100 }),
        zoneId: Type.Optional(Id),
        siteId: Type.Optional(Id),
        gridId: Type.Optional(Id),
        communityId: Type.Optional(Id),
        shopId: Type.Optional(Id),
        location: Type.Optional(
          Type.Object(
            { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    /** Routing labels from the rule (department hint, grid, community...). */
    labels: Labels,
    /** Event time at which the rule fired. */
    eventTime: Timestamp,
    /** Wall-clock time the processor produced the alert. */
    createdAt: Timestamp,
  },
  { additionalProperties: false, title: 'Alert' },
);
export type Alert = Static<typeof Alert>;

/** An inspection or community visit record that adjusts a shop's score. */
export const InspectionRecord = Type.Object(
  {
    schemaVersion: SchemaVersion,
    recordId: Id,
    shopId: Id,
    kind: Type.Union([Type.Literal('inspection'), Type.Literal('visit')]),
    outcome: Type.Union([Type.Literal('pass'), Type.Literal('warning'), Type.Literal('fail')]),
    /** Points added to (positive) or removed from (negative) the shop's score. */
    points: Type.Number({ minimum: -1000, maximum: 1000 }),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
    inspector: Type.Optional(Type.String({ maxLength: 128 })),
    eventTime: Timestamp,
  },
  { additionalProperties: false, title: 'InspectionRecord' },
);
export type InspectionRecord = Static<typeof InspectionRecord>;

export const ShopColour = Type.Union([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')]);
export type ShopColour = Static<typeof ShopColour>;

/** Emitted on every colour change of a shop's red/yellow/green profile. */
export const ShopScoreChange = Type.Object(
  {
    schemaVersion: SchemaVersion,
    eventId: Id,
    ruleId: Id,
    shopId: Id,
    score: Type.Number(),
    colour: ShopColour,
    previousColour: ShopColour,
    eventTime: Timestamp,
  },
  { additionalProperties: false, title: 'ShopScoreChange' },
);
export type ShopScoreChange = Static<typeof ShopScoreChange>;
