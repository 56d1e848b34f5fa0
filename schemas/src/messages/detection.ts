import { Type, type Static } from '@sinclair/typebox';
import { EvidenceRef, Id, Labels, NormalizedBox, SchemaVersion, Timestamp, ViolationType } from './common.js';

/**
 * One message of a violation's lifecycle, as decided by an edge gateway for one camera.
 * `violationId` is stable from `start` through `update`s to `end`; `eventId` is unique per message.
 */
export const DetectionEvent = Type.Object(
  {
    schemaVersion: SchemaVersion,
    eventId: Id,
    violationId: Id,
    phase: Type.Union([Type.Literal('start'), Type.Literal('update'), Type.Literal('end')]),
    type: ViolationType,
    gatewayId: Id,
    cameraId: Id,
    zoneId: Id,
    siteId: Type.Optional(Id),
    gridId: Type.Optional(Id),
    communityId: Type.Optional(Id),
    shopId: Type.Optional(Id),
    objectClass: Type.String({ minLength: 1, maxLength: 64 }),
    trackId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    bbox: NormalizedBox,
    dwellSeconds: Type.Number({ minimum: 0 }),
    startedAt: Timestamp,
    /** Time of the frame this message describes (event time). */
    eventTime: Timestamp,
    /** Wall-clock time the gateway produced the message (processing time). */
    processedAt: Timestamp,
    /**
     * Why an `end`: left (seen leaving), lost (absent past the zone's gap), schedule (the zone's
     * schedule ended), shutdown (the gateway stopped), camera_offline (the camera stayed offline
     * past the gateway's offline grace: the violation may still be there), camera_tampered (the
     * camera's view was covered, blurred or moved: it can no longer see the violation).
     */
    endReason: Type.Optional(
      Type.Union([
        Type.Literal('left'),
        Type.Literal('lost'),
        Type.Literal('schedule'),
        Type.Literal('shutdown'),
        Type.Literal('camera_offline'),
        Type.Literal('camera_tampered'),
      ]),
    ),
    evidence: Type.Optional(EvidenceRef),
    model: Type.Object(
      { name: Type.String({ minLength: 1, maxLength: 64 }), version: Type.String({ minLength: 1, maxLength: 64 }) },
      { additionalProperties: false },
    ),
    /**
     * Who decided the violation: `edge` (the gateway's own analytics; also when absent) or
     * `camera` (the camera's own analytics, e.g. a Hikvision smart event received over ISAPI and
     * mapped into this lifecycle by the gateway; `model` then names the camera's event).
     */
    source: Type.Optional(Type.Union([Type.Literal('edge'), Type.Literal('camera')])),
    labels: Type.Optional(Labels),
  },
  { additionalProperties: false, title: 'DetectionEvent' },
);
export type DetectionEvent = Static<typeof DetectionEvent>;

/**
 * A camera going dark or coming back, with the stream statistics at that moment; or a camera that
 * still streams but whose view is no longer the learned one (`tampered`: covered, blurred or
 * moved; `reason` says which), and its view restored (`online`, reason VIEW_RESTORED).
 * A `heartbeat` re-states the camera's current state (the gateway sends one per camera every
 * `health.heartbeatIntervalSeconds`): it says "still so at eventTime", never "changed".
 */
export const CameraHealth = Type.Object(
  {
    schemaVersion: SchemaVersion,
    eventId: Id,
    gatewayId: Id,
    cameraId: Id,
    status: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('tampered')]),
    /**
     * Stable reason code, e.g. SW_EDGE_CAMERA_AUTH, SW_EDGE_STREAM_STALLED, STREAM_OK; for
     * `tampered`: SW_EDGE_CAMERA_COVERED, SW_EDGE_CAMERA_BLURRED, SW_EDGE_CAMERA_MOVED.
     */
    reason: Type.String({ minLength: 1, maxLength: 64 }),
    detail: Type.Optional(Type.String({ maxLength: 1024 })),
    eventTime: Timestamp,
    /**
     * true: a periodic re-statement of the state last reported (status, reason, detail), not a
     * change: consumers update "last heard" from it and raise no alert. Absent: a change. Added
     * to .v1 compatibly (every old message stays valid; consumers are upgraded before gateways).
     */
    heartbeat: Type.Optional(Type.Boolean()),
    stats: Type.Optional(
      Type.Object(
        {
          decodedFps: Type.Number({ minimum: 0 }),
          lastFrameAgeSeconds: Type.Number({ minimum: 0 }),
          detectorMs: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'CameraHealth' },
);
export type CameraHealth = Static<typeof CameraHealth>;
