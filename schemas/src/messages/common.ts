import { Type, type Static } from '@sinclair/typebox';

/** Identifiers travel as Kafka keys and URL segments: keep them printable and bounded. */
export const Id = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@-]+$' });

/** RFC 3339 timestamp. Event time comes from the camera frame; processing time is separate. */
export const Timestamp = Type.String({ format: 'date-time' });

export const SchemaVersion = Type.Literal(1);

export const ViolationType = Type.Union([
  Type.Literal('illegal_parking'),
  Type.Literal('street_vendor'),
  Type.Literal('shopfront_spillover'),
  Type.Literal('dumping'),
]);
export type ViolationType = Static<typeof ViolationType>;
export const VIOLATION_TYPES: readonly ViolationType[] = [
  'illegal_parking',
  'street_vendor',
  'shopfront_spillover',
  'dumping',
];

/** Axis-aligned box in normalized frame coordinates (0..1, origin top-left). */
export const NormalizedBox = Type.Object(
  {
    x: Type.Number({ minimum: 0, maximum: 1 }),
    y: Type.Number({ minimum: 0, maximum: 1 }),
    w: Type.Number({ minimum: 0, maximum: 1 }),
    h: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type NormalizedBox = Static<typeof NormalizedBox>;

export const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
export type Severity = Static<typeof Severity>;

/** A picture that proves the event: served by the gateway, checked by its hash. */
export const EvidenceRef = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    sha256: Type.String({ pattern: '^[a-f0-9]{64}$' }),
    contentType: Type.Literal('image/jpeg'),
    bytes: Type.Integer({ minimum: 1 }),
    cameraId: Type.Optional(Id),
    capturedAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
);
export type EvidenceRef = Static<typeof EvidenceRef>;

export const Labels = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 256 }));
