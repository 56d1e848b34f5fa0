/**
 * Contract messages from what the stages decide: a rule-engine ViolationEvent becomes a
 * DetectionEvent, a source health transition becomes a CameraHealth. Pure functions; the
 * caller validates (via the outbox's record builders) before anything is written.
 *
 * eventId is deterministic (a hash of the gateway, the violation, the phase and the frame time):
 * two messages of one violation never share a frame time, and a replay of the same frames yields
 * the same ids, so a consumer's dedup on eventId also absorbs a replay after a crash.
 */
import { createHash } from 'node:crypto';
import type { CameraHealth, DetectionEvent, EvidenceRef, NormalizedBox } from '@streetwatch/schemas';
import type { BBox } from '../frame.js';
import type { ViolationEvent } from '../rules/engine.js';
import type { CameraHealthEvent } from '../source/types.js';

/** Where a camera's events come from: copied into every message. */
export interface CameraContext {
  gatewayId: string;
  cameraId: string;
  siteId?: string;
  gridId?: string;
  communityId?: string;
  labels?: Readonly<Record<string, string>>;
  /** Per zone: the shop it watches and a grid that differs from the camera's. */
  zones: ReadonlyMap<string, { shopId?: string; gridId?: string }>;
  model: { name: string; version: string };
}

function hashId(prefix: string, parts: readonly (string | number)[]): string {
  return `${prefix}-${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32)}`;
}

export function detectionEventId(gatewayId: string, violationId: string, phase: string, eventTime: Date): string {
  return hashId('e', [gatewayId, violationId, phase, eventTime.toISOString()]);
}

export function healthEventId(gatewayId: string, h: CameraHealthEvent): string {
  return hashId('h', [gatewayId, h.cameraId, h.status, h.reason, h.eventTime.toISOString(), h.restarts]);
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** 5 decimals (~0.02 px on a 4K frame), each value in [0, 1]. */
function box(b: BBox): NormalizedBox {
  const c = (v: number) => round(Math.min(1, Math.max(0, v)), 5);
  return { x: c(b.x), y: c(b.y), w: c(b.w), h: c(b.h) };
}

export function detectionEventOf(v: ViolationEvent, ctx: CameraContext, processedAt: Date, evidence?: EvidenceRef): DetectionEvent {
  const zone = ctx.zones.get(v.zoneId);
  const gridId = zone?.gridId ?? ctx.gridId;
  const e: DetectionEvent = {
    schemaVersion: 1,
    eventId: detectionEventId(ctx.gatewayId, v.violationId, v.phase, v.eventTime),
    violationId: v.violationId,
    phase: v.phase,
    type: v.type,
    gatewayId: ctx.gatewayId,
    cameraId: ctx.cameraId,
    zoneId: v.zoneId,
    objectClass: v.objectClass,
    score: round(v.score, 4),
    bbox: box(v.bbox),
    dwellSeconds: round(v.dwellSeconds, 3),
    startedAt: v.startedAt.toISOString(),
    eventTime: v.eventTime.toISOString(),
    processedAt: processedAt.toISOString(),
    model: { name: ctx.model.name, version: ctx.model.version },
  };
  if (ctx.siteId !== undefined) e.siteId = ctx.siteId;
  if (gridId !== undefined) e.gridId = gridId;
  if (ctx.communityId !== undefined) e.communityId = ctx.communityId;
  if (zone?.shopId !== undefined) e.shopId = zone.shopId;
  if (v.trackId !== undefined) e.trackId = v.trackId;
  if (v.endReason !== undefined) e.endReason = v.endReason;
  if (evidence !== undefined) e.evidence = evidence;
  if (ctx.labels !== undefined && Object.keys(ctx.labels).length > 0) e.labels = { ...ctx.labels };
  return e;
}

export function cameraHealthOf(h: CameraHealthEvent, gatewayId: string, detectorMs?: number): CameraHealth {
  const stats: NonNullable<CameraHealth['stats']> = {
    decodedFps: round(Math.max(0, h.stats.decodedFps), 3),
    lastFrameAgeSeconds: round(Math.max(0, h.stats.lastFrameAgeSeconds), 3),
  };
  if (detectorMs !== undefined && Number.isFinite(detectorMs)) stats.detectorMs = round(Math.max(0, detectorMs), 1);
  const e: CameraHealth = {
    schemaVersion: 1,
    eventId: healthEventId(gatewayId, h),
    gatewayId,
    cameraId: h.cameraId,
    status: h.status,
    reason: h.reason,
    eventTime: h.eventTime.toISOString(),
    stats,
  };
  if (h.detail !== undefined && h.detail !== '') e.detail = h.detail.slice(-1024);
  return e;
}

/**
 * A heartbeat: the state last reported (`last`: status, reason, detail) re-stated at `at` (the
 * gateway's clock when it was said, not when it reaches Kafka: a heartbeat that waited in the
 * outbox through an outage arrives with its old time and is read as old news), with the stream
 * statistics of that moment. eventId from the gateway, camera and time (one heartbeat per camera
 * per instant; a replayed record keeps its id).
 */
export function heartbeatOf(last: CameraHealth, at: Date, stats: { decodedFps: number; lastFrameAgeSeconds: number; detectorMs?: number }): CameraHealth {
  const s: NonNullable<CameraHealth['stats']> = {
    decodedFps: round(Math.max(0, stats.decodedFps), 3),
    lastFrameAgeSeconds: round(Math.max(0, stats.lastFrameAgeSeconds), 3),
  };
  if (stats.detectorMs !== undefined && Number.isFinite(stats.detectorMs)) s.detectorMs = round(Math.max(0, stats.detectorMs), 1);
  const e: CameraHealth = {
    schemaVersion: 1,
    eventId: hashId('hb', [last.gatewayId, last.cameraId, at.toISOString()]),
    gatewayId: last.gatewayId,
    cameraId: last.cameraId,
    status: last.status,
    reason: last.reason,
    eventTime: at.toISOString(),
    heartbeat: true,
    stats: s,
  };
  if (last.detail !== undefined) e.detail = last.detail;
  return e;
}
