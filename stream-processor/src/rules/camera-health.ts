/**
 * A camera that still streams but can no longer see (CameraHealth `tampered`: covered, blurred or
 * moved, decided by the edge after its dwell) is an alert for whoever keeps the camera: type
 * `camera_tampered`, ruleKind `health`, one per tamper episode (alertId from the camera and the
 * time it was reported, so a replay gives the same id and the router delivers it once). The
 * router's routing tree decides who that is (match `type: camera_tampered`, or `camera: <id>`).
 * `online` / `offline` health stays history only (offline cameras are the ops dashboards' job).
 * A heartbeat (`heartbeat: true`: the gateway re-stating a camera's state every minute) is never an
 * alert: a camera still covered is the same episode, already alerted at its change.
 */
import type { Alert, CameraHealth } from '@streetwatch/schemas';
import { iso } from '@streetwatch/platform';
import { alertId } from './alert.js';

export const CAMERA_TAMPER_RULE = 'camera-tamper';

const WHAT: Record<string, string> = {
  SW_EDGE_CAMERA_COVERED: '画面被遮挡 (covered)',
  SW_EDGE_CAMERA_BLURRED: '画面模糊 (blurred / sprayed)',
  SW_EDGE_CAMERA_MOVED: '镜头被移动 (moved)',
};

export function cameraTamperAlert(h: CameraHealth, now: number): Alert | undefined {
  if (h.status !== 'tampered' || h.heartbeat === true) return undefined;
  const key = `camera:${h.cameraId}`;
  return {
    schemaVersion: 1,
    alertId: alertId(CAMERA_TAMPER_RULE, key, h.eventTime),
    ruleId: CAMERA_TAMPER_RULE,
    ruleKind: 'health',
    key,
    type: 'camera_tampered',
    severity: 'warning',
    title: `摄像头 ${h.cameraId} ${WHAT[h.reason] ?? h.reason}`.slice(0, 256),
    window: { start: h.eventTime, end: h.eventTime },
    count: 1,
    violationIds: [],
    evidence: [],
    site: { cameraIds: [h.cameraId] },
    labels: { reason: h.reason, gatewayId: h.gatewayId.slice(0, 256), ...(h.detail !== undefined && { detail: h.detail.slice(0, 256) }) },
    eventTime: h.eventTime,
    createdAt: iso(now),
  };
}
