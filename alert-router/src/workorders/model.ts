import { iso } from '@streetwatch/platform';
import type { Alert, WorkOrderEvent, WorkOrderStatus } from '@streetwatch/schemas';
import type { Role } from './config.js';
import type { DeadlineStep } from './states.js';

/** A signed-in department user (from the API's token check). */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly departmentId: string;
  readonly role: Role;
}

/** Who performs a transition: a user, or the router itself (dispatch, escalation, clearance). */
export type Actor = { readonly kind: 'user'; readonly user: User } | { readonly kind: 'system'; readonly id: string };

export const SYSTEM: Actor = { kind: 'system', id: 'alert-router' };

/** A row of `work_orders` as pg returns it. */
export interface WorkOrderRow {
  id: string;
  number: string;
  alert_id: string;
  department_id: string;
  status: WorkOrderStatus;
  version: number;
  alert: Alert;
  type: Alert['type'];
  severity: Alert['severity'];
  title: string;
  zone_id: string | null;
  grid_id: string | null;
  community_id: string | null;
  shop_id: string | null;
  camera_ids: string[];
  violation_ids: string[];
  lat: number | null;
  lon: number | null;
  event_time: Date;
  dispatched_at: Date;
  signed_at: Date | null;
  signed_by: string | null;
  handled_at: Date | null;
  handled_by: string | null;
  verified_at: Date | null;
  verified_by: string | null;
  closed_at: Date | null;
  closed_by: string | null;
  feedback: string | null;
  return_reason: string | null;
  resolution: 'resolved' | 'false_positive' | 'duplicate' | null;
  cleared_at: Date | null;
  cleared_violation_ids: string[];
  redispatched_from: string | null;
  redispatched_to: string | null;
  deadline_step: DeadlineStep | null;
  deadline_at: Date | null;
  deadline_round: number;
  escalation_level: number;
  next_escalation_at: Date | null;
  updated_at: Date;
}

/** What a list, the console and SSE show for one work order. */
export interface WorkOrderSummary {
  id: string;
  number: number;
  alertId: string;
  departmentId: string;
  status: WorkOrderStatus;
  /** Grows by one per transition: the console keeps the highest it has seen. */
  version: number;
  type: Alert['type'];
  severity: Alert['severity'];
  title: string;
  site: {
    cameraIds: string[];
    zoneId?: string;
    gridId?: string;
    communityId?: string;
    shopId?: string;
    location?: { lat: number; lon: number };
  };
  /**
   * The pictures, without any address: a viewer asks POST /api/work-orders/:id/evidence/:index/link
   * for a short-lived link. `stored` is false for pictures that stayed on an old edge box.
   */
  evidence: Array<{ index: number; stored: boolean; sha256: string; cameraId?: string; capturedAt?: string }>;
  eventTime: string;
  dispatchedAt: string;
  updatedAt: string;
  deadline?: { step: DeadlineStep; at: string };
  escalationLevel: number;
  clearedAt?: string;
  resolution?: string;
  returnReason?: string;
  feedback?: string;
  redispatchedFrom?: string;
  redispatchedTo?: string;
  /** Filled per viewer: the lifecycle actions this user may take now. */
  actions?: string[];
}

export interface HistoryEntry {
  seq: number;
  eventId: string;
  action: WorkOrderEvent['action'];
  fromStatus?: string;
  toStatus: WorkOrderStatus;
  actor: { kind: 'user' | 'system'; id: string; role?: string };
  note?: string;
  deadline?: string;
  at: string;
}

export interface PhotoEntry {
  id: string;
  url: string;
  contentType: string;
  bytes: number;
  sha256: string;
  uploadedBy: string;
  at: string;
}

export interface EscalationEntry {
  key: string;
  step: string;
  level: number;
  target: string;
  dueAt: string;
  firedAt: string;
  notifiedAt?: string;
}

export interface WorkOrderDetail extends WorkOrderSummary {
  signedAt?: string;
  signedBy?: string;
  handledAt?: string;
  handledBy?: string;
  verifiedAt?: string;
  verifiedBy?: string;
  closedAt?: string;
  closedBy?: string;
  history: HistoryEntry[];
  photos: PhotoEntry[];
  escalations: EscalationEntry[];
}

const isoOrUndefined = (d: Date | null): string | undefined => (d ? iso(d) : undefined);

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function toSummary(r: WorkOrderRow): WorkOrderSummary {
  return defined({
    id: r.id,
    number: Number(r.number),
    alertId: r.alert_id,
    departmentId: r.department_id,
    status: r.status,
    version: r.version,
    type: r.type,
    severity: r.severity,
    title: r.title,
    site: defined({
      cameraIds: r.camera_ids,
      zoneId: r.zone_id ?? undefined,
      gridId: r.grid_id ?? undefined,
      communityId: r.community_id ?? undefined,
      shopId: r.shop_id ?? undefined,
      location: r.lat !== null && r.lon !== null ? { lat: r.lat, lon: r.lon } : undefined,
    }),
    evidence: r.alert.evidence.map((e, index) => defined({ index, stored: 'key' in e, sha256: e.sha256, cameraId: e.cameraId, capturedAt: e.capturedAt })),
    eventTime: r.event_time.toISOString(),
    dispatchedAt: r.dispatched_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    deadline: r.deadline_step && r.deadline_at ? { step: r.deadline_step, at: r.deadline_at.toISOString() } : undefined,
    escalationLevel: r.escalation_level,
    clearedAt: isoOrUndefined(r.cleared_at),
    resolution: r.resolution ?? undefined,
    returnReason: r.return_reason ?? undefined,
    feedback: r.feedback ?? undefined,
    redispatchedFrom: r.redispatched_from ?? undefined,
    redispatchedTo: r.redispatched_to ?? undefined,
  });
}

export function toDetail(
  r: WorkOrderRow,
  history: HistoryEntry[],
  photos: PhotoEntry[],
  escalations: EscalationEntry[],
): WorkOrderDetail {
  return defined({
    ...toSummary(r),
    signedAt: isoOrUndefined(r.signed_at),
    signedBy: r.signed_by ?? undefined,
    handledAt: isoOrUndefined(r.handled_at),
    handledBy: r.handled_by ?? undefined,
    verifiedAt: isoOrUndefined(r.verified_at),
    verifiedBy: r.verified_by ?? undefined,
    closedAt: isoOrUndefined(r.closed_at),
    closedBy: r.closed_by ?? undefined,
    history,
    photos,
    escalations,
  });
}

/** A transaction's committed events: published to the console and counted after COMMIT. */
export type Emit = (event: WorkOrderEvent, row: WorkOrderRow) => void;
