/**
 * The FlowCount contract message of one closed minute of one count line. The eventId is a hash of
 * the gateway, camera, line, minute and the first frame counted into it: a replay of the same
 * frames yields the same id (consumers deduplicate on it), and a minute split by a gateway restart
 * yields two messages with distinct ids that consumers add up.
 */
import { createHash } from 'node:crypto';
import type { FlowCount } from '@streetwatch/schemas';
import type { FlowMinute } from './flow-counter.js';

export interface FlowContext {
  gatewayId: string;
  cameraId: string;
  siteId?: string;
  gridId?: string;
  communityId?: string;
  labels?: Readonly<Record<string, string>>;
  /** A line's own grid, where it differs from the camera's. */
  lineGrids: ReadonlyMap<string, string>;
}

export function flowEventId(gatewayId: string, cameraId: string, m: FlowMinute): string {
  const parts = [gatewayId, cameraId, m.lineId, new Date(m.minute).toISOString(), new Date(m.firstFrame).toISOString()];
  return `f-${createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32)}`;
}

export function flowCountOf(m: FlowMinute, ctx: FlowContext, processedAt: Date): FlowCount {
  const gridId = ctx.lineGrids.get(m.lineId) ?? ctx.gridId;
  const e: FlowCount = {
    schemaVersion: 1,
    eventId: flowEventId(ctx.gatewayId, ctx.cameraId, m),
    gatewayId: ctx.gatewayId,
    cameraId: ctx.cameraId,
    lineId: m.lineId,
    minute: new Date(m.minute).toISOString(),
    observedSeconds: m.observedSeconds,
    counts: m.counts.map((c) => ({ ...c })),
    processedAt: processedAt.toISOString(),
  };
  if (ctx.siteId !== undefined) e.siteId = ctx.siteId;
  if (gridId !== undefined) e.gridId = gridId;
  if (ctx.communityId !== undefined) e.communityId = ctx.communityId;
  if (ctx.labels !== undefined && Object.keys(ctx.labels).length > 0) e.labels = { ...ctx.labels };
  return e;
}
