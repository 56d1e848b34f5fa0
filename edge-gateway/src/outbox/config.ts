import { Type, type Static } from '@sinclair/typebox';

export const OutboxConfigSchema = Type.Object(
  {
    path: Type.String({ minLength: 1, description: 'SQLite file of the outbox (WAL files live beside it); ":memory:" only in tests' }),
    maxBytes: Type.Integer({
      minimum: 1024,
      default: 256 * 1024 * 1024,
      description: 'bound on the queued payload (key + value + eventId bytes); beyond it the drop policy applies',
    }),
    maxPictureBytes: Type.Integer({
      minimum: 1024,
      default: 1024 * 1024 * 1024,
      description: 'bound on the evidence pictures waiting for the object store (their own bound: pictures never push events out); beyond it their drop policy applies',
    }),
    maxAgeSeconds: Type.Number({
      exclusiveMinimum: 0,
      default: 3 * 24 * 3600,
      description: 'records (and pictures) older than this are dropped (reason "expired"): Kafka (the store) was unreachable for too long',
    }),
    lowWatermark: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.9,
      description: 'the "full" state clears once the queued bytes fall below this share of maxBytes',
    }),
    maxRejected: Type.Integer({ minimum: 0, default: 10000, description: 'rejected records kept for inspection (oldest removed beyond it)' }),
  },
  { additionalProperties: false },
);
export type OutboxConfig = Static<typeof OutboxConfigSchema>;
