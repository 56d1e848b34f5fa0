/**
 * A tamper transition as a CameraHealth message: `tampered` with the reason code of what the view
 * became (covered, blurred, moved) and the measures in `detail`; `online` / VIEW_RESTORED when
 * the learned view is back. eventId is deterministic (a replay gives the same id).
 */
import { createHash } from 'node:crypto';
import type { CameraHealth } from '@streetwatch/schemas';
import type { TamperTransition } from './detector.js';

export const TAMPER_REASONS = {
  covered: 'SW_EDGE_CAMERA_COVERED',
  blurred: 'SW_EDGE_CAMERA_BLURRED',
  moved: 'SW_EDGE_CAMERA_MOVED',
} as const;
export const VIEW_RESTORED = 'VIEW_RESTORED';

const r2 = (v: number) => Math.round(v * 100) / 100;

export function tamperHealthOf(tr: TamperTransition, ctx: { gatewayId: string; cameraId: string; decodedFps: number }): CameraHealth {
  const m = tr.measure;
  const measures = `edge density ${r2(m.edgeRatio)} of the reference, contrast ${r2(m.contrastRatio)}, edge-map match ${r2(m.match)}, brightness ${Math.round(m.brightness)}`;
  const status = tr.kind === 'tampered' ? 'tampered' : 'online';
  const reason = tr.kind === 'tampered' ? TAMPER_REASONS[tr.state] : VIEW_RESTORED;
  const detail = tr.kind === 'tampered' ? `view ${tr.state} since ${tr.since.toISOString()}: ${measures}` : `view as learned again: ${measures}`;
  const eventId = `h-${createHash('sha256').update([ctx.gatewayId, ctx.cameraId, status, reason, tr.at.toISOString()].join('|')).digest('hex').slice(0, 32)}`;
  return {
    schemaVersion: 1,
    eventId,
    gatewayId: ctx.gatewayId,
    cameraId: ctx.cameraId,
    status,
    reason,
    detail,
    eventTime: tr.at.toISOString(),
    stats: { decodedFps: r2(Math.max(0, ctx.decodedFps)), lastFrameAgeSeconds: 0 },
  };
}
