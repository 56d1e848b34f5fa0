import { Type, type Static } from '@sinclair/typebox';

/**
 * The overview screen (城市眼, `/screen`): what it shows and how often it reads PostgreSQL. One
 * computation per refresh per router instance, only while someone watches, whatever the number of
 * screens.
 */
export const ScreenConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    title: Type.String({ minLength: 1, maxLength: 64, default: '小河街道 · 城市眼' }),
    /** How often the figures are read again and pushed to open screens (when they changed). */
    refreshMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 5000 }),
    /** Roles that may open the screen (its figures span every department). */
    roles: Type.Array(Type.Union([Type.Literal('staff'), Type.Literal('head'), Type.Literal('supervisor')]), {
      minItems: 1,
      uniqueItems: true,
      default: ['supervisor'],
    }),
    /**
     * A camera not heard from for this long (no health event: gateways re-state every camera's
     * state each health.heartbeatIntervalSeconds, 60 s by default) shows as offline, "no report
     * since HH:MM": a gateway that lost power or its uplink sends nothing. Default 3 heartbeats:
     * one or two lost or late heartbeats are not an outage.
     */
    cameraStaleAfterSeconds: Type.Integer({ minimum: 30, maximum: 86_400, default: 180 }),
    /** A camera's grid is the grid most of its detections named over this many hours. */
    cameraGridHours: Type.Integer({ minimum: 1, maximum: 24 * 31, default: 48 }),
    /** Alerts in the ticker (the newest of the last 24 h). */
    tickerSize: Type.Integer({ minimum: 1, maximum: 100, default: 12 }),
    /** Red and yellow shops listed (red first, then by score). */
    shopsMax: Type.Integer({ minimum: 1, maximum: 200, default: 12 }),
  },
  { additionalProperties: false, default: {} },
);
export type ScreenConfig = Static<typeof ScreenConfig>;
