import { Type, type Static } from '@sinclair/typebox';
import { Id, Labels, SchemaVersion, Timestamp } from './common.js';

/** Direction of a crossing: `in` = to the left of the counting line a->b (as seen in the image), or into a gate polygon. */
export const FlowDirection = Type.Union([Type.Literal('in'), Type.Literal('out')]);
export type FlowDirection = Static<typeof FlowDirection>;
export const FLOW_DIRECTIONS: readonly FlowDirection[] = ['in', 'out'];

/**
 * People and vehicles that crossed one counting line (`count_line` zone) of one camera in one
 * minute of event time, per counted class and direction: one count per track and direction, from
 * the gateway's tracker. Every class the line counts is listed in both directions, zeros included:
 * a minute that has a message was watched; a minute without one was not (camera offline or
 * tampered, gateway down) and means "unknown", not zero. A minute can come in more than one message
 * when the gateway restarted inside it (each covers its own frames, `observedSeconds`; distinct
 * eventIds): consumers add them up and deduplicate by eventId.
 */
export const FlowCount = Type.Object(
  {
    schemaVersion: SchemaVersion,
    /** Deterministic: gateway, camera, line, minute and the first frame counted into it (a replay gives the same id). */
    eventId: Id,
    gatewayId: Id,
    cameraId: Id,
    /** The `count_line` zone's id. */
    lineId: Id,
    siteId: Type.Optional(Id),
    gridId: Type.Optional(Id),
    communityId: Type.Optional(Id),
    /** Start of the minute (event time, UTC, whole minute). */
    minute: Type.String({ format: 'date-time', pattern: ':00(\\.0+)?Z$', description: 'start of the UTC minute, e.g. 2026-11-26T06:03:00.000Z' }),
    /** Seconds of that minute covered by analysed frames (60: the whole minute was watched). */
    observedSeconds: Type.Number({ minimum: 0, maximum: 60 }),
    counts: Type.Array(
      Type.Object(
        {
          /** The line's class name (e.g. person, vehicle, bicycle; the gateway's `classes` map). */
          objectClass: Type.String({ minLength: 1, maxLength: 64 }),
          direction: FlowDirection,
          count: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 64 },
    ),
    /** Wall-clock time the gateway produced the message (processing time). */
    processedAt: Timestamp,
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false, title: 'FlowCount' },
);
export type FlowCount = Static<typeof FlowCount>;
