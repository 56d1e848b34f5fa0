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

const evidenceFields = {
  sha256: Type.String({ pattern: '^[a-f0-9]{64}$', description: 'sha256 of the JPEG: readers check what they fetched' }),
  contentType: Type.Literal('image/jpeg'),
  bytes: Type.Integer({ minimum: 1 }),
  cameraId: Type.Optional(Id),
  capturedAt: Type.Optional(Timestamp),
};

/**
 * A picture that proves the event, stored in the evidence object store (S3 API: Aliyun OSS or
 * any S3-compatible store) under `key` (`edge/<gatewayId>/<yyyy-mm-dd>/<uuid>.jpg`). Nobody
 * fetches it by key directly: the alert router issues short-lived signed links per viewer.
 */
export const EvidenceObjectRef = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 1024, pattern: '^(?!.*\\.\\.)[A-Za-z0-9][A-Za-z0-9._:@/-]*$', description: 'object key in the evidence bucket (no "..")' }),
    ...evidenceFields,
  },
  { additionalProperties: false },
);
export type EvidenceObjectRef = Static<typeof EvidenceObjectRef>;

/**
 * DEPRECATED (gateways before the object store): a picture served by the gateway itself. Still
 * valid so that messages of boxes not yet upgraded (and replays) pass; consumers show it as "on
 * the edge box, not reachable". New producers never emit it.
 */
export const EvidenceUrlRef = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048 }),
    ...evidenceFields,
  },
  { additionalProperties: false },
);
export type EvidenceUrlRef = Static<typeof EvidenceUrlRef>;

/**
 * Evidence reference, either form (exactly one of `key`, `url`). Adding the `key` form is a
 * backward-compatible change of the .v1 contracts for producers (every old message stays valid);
 * consumers are upgraded before producers (cloud first, then the boxes).
 */
export const EvidenceRef = Type.Union([EvidenceObjectRef, EvidenceUrlRef]);
export type EvidenceRef = Static<typeof EvidenceRef>;

export const Labels = Type.Record(Type.String({ minLength: 1, maxLength: 64 }), Type.String({ maxLength: 256 }));

/** The object key of an evidence reference, or undefined for a legacy gateway URL. */
export function evidenceKey(ref: EvidenceRef): string | undefined {
  return 'key' in ref ? ref.key : undefined;
}

/** What identifies a reference (object key, or the legacy URL): for de-duplication and history rows. */
export function evidenceLocator(ref: EvidenceRef): string {
  return 'key' in ref ? ref.key : ref.url;
}
