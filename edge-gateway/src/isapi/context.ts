/** Where a camera's own events come from: the camera's place in the city, zones from the event mappings. */
import type { GatewayCameraConfig } from '../config/schema.js';
import type { CameraContext } from '../pipeline/events.js';
import type { ResolvedIsapiConfig } from './config.js';

/** `model` of camera-analytics events: the camera decided, through its ISAPI alert stream. */
export const CAMERA_EVENT_MODEL = { name: 'hikvision-isapi', version: 'alertStream' } as const;

export function cameraEventContext(camera: GatewayCameraConfig, isapi: ResolvedIsapiConfig, gatewayId: string): CameraContext {
  const zones = new Map<string, { shopId?: string; gridId?: string }>();
  for (const m of Object.values(isapi.events)) {
    zones.set(m.zoneId, { ...(m.shopId !== undefined && { shopId: m.shopId }), ...(m.gridId !== undefined && { gridId: m.gridId }) });
  }
  return {
    gatewayId,
    cameraId: camera.id,
    ...(camera.siteId !== undefined && { siteId: camera.siteId }),
    ...(camera.gridId !== undefined && { gridId: camera.gridId }),
    ...(camera.communityId !== undefined && { communityId: camera.communityId }),
    ...(camera.labels !== undefined && { labels: camera.labels }),
    zones,
    model: { ...CAMERA_EVENT_MODEL },
  };
}
