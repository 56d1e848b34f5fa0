import type { Alert, InspectionRecord, ShopScoreChange } from './messages/alert.js';
import type { CameraHealth, DetectionEvent } from './messages/detection.js';
import type { FlowCount } from './messages/flow.js';
import type { DeadLetter, Delivery, DepartmentNotice, WorkOrderEvent } from './messages/workorder.js';
import type { ContractName, ContractOf } from './contracts.js';

/**
 * One valid example per contract, for documentation and tests. Each builder takes overrides so a
 * test states only what it cares about.
 */
const T0 = '2026-11-26T06:03:10.000Z';
const SHA = 'a'.repeat(64);

export function exampleDetection(o: Partial<DetectionEvent> = {}): DetectionEvent {
  return {
    schemaVersion: 1,
    eventId: 'evt-cam-03-0001',
    violationId: 'vio-cam-03-P1-0001',
    phase: 'start',
    type: 'illegal_parking',
    gatewayId: 'gw-xiaohe-01',
    cameraId: 'cam-03',
    zoneId: 'P1',
    gridId: 'grid-3',
    objectClass: 'car',
    trackId: '17',
    score: 0.82,
    bbox: { x: 0.31, y: 0.42, w: 0.2, h: 0.18 },
    dwellSeconds: 60,
    startedAt: T0,
    eventTime: '2026-11-26T06:04:10.000Z',
    processedAt: '2026-11-26T06:04:10.250Z',
    evidence: {
      key: 'edge/gw-xiaohe-01/2026-11-26/0b6f3c2e-5d1a-4f7e-9a53-2f1c7c1d9e01.jpg',
      sha256: SHA,
      contentType: 'image/jpeg',
      bytes: 48213,
      cameraId: 'cam-03',
    },
    model: { name: 'centernet', version: 'human-models-3.0.4' },
    ...o,
  };
}

export function exampleCameraHealth(o: Partial<CameraHealth> = {}): CameraHealth {
  return {
    schemaVersion: 1,
    eventId: 'health-cam-03-0001',
    gatewayId: 'gw-xiaohe-01',
    cameraId: 'cam-03',
    status: 'offline',
    reason: 'SW_EDGE_STREAM_STALLED',
    detail: 'no frame for 10 s',
    eventTime: T0,
    stats: { decodedFps: 0, lastFrameAgeSeconds: 10.2 },
    ...o,
  };
}

export function exampleFlowCount(o: Partial<FlowCount> = {}): FlowCount {
  return {
    schemaVersion: 1,
    eventId: 'flow-cam-03-L1-0001',
    gatewayId: 'gw-xiaohe-01',
    cameraId: 'cam-03',
    lineId: 'L1',
    gridId: 'grid-3',
    communityId: 'xiaohe-east',
    minute: '2026-11-26T06:03:00.000Z',
    observedSeconds: 60,
    counts: [
      { objectClass: 'person', direction: 'in', count: 7 },
      { objectClass: 'person', direction: 'out', count: 4 },
      { objectClass: 'vehicle', direction: 'in', count: 1 },
      { objectClass: 'vehicle', direction: 'out', count: 0 },
    ],
    processedAt: '2026-11-26T06:04:00.120Z',
    ...o,
  };
}

export function exampleAlert(o: Partial<Alert> = {}): Alert {
  return {
    schemaVersion: 1,
    alertId: 'alert-3f2a9c0d1e',
    ruleId: 'parking-dwell-5min',
    ruleKind: 'dwell',
    key: 'violation:vio-cam-03-P1-0001',
    type: 'illegal_parking',
    severity: 'warning',
    title: 'Illegal parking for 5 min in P1 (cam-03)',
    window: { start: T0, end: '2026-11-26T06:08:10.000Z' },
    count: 1,
    violationIds: ['vio-cam-03-P1-0001'],
    evidence: [{ key: 'edge/gw-xiaohe-01/2026-11-26/0b6f3c2e-5d1a-4f7e-9a53-2f1c7c1d9e01.jpg', sha256: SHA, contentType: 'image/jpeg', bytes: 48213 }],
    site: { cameraIds: ['cam-03'], zoneId: 'P1', gridId: 'grid-3', communityId: 'xiaohe-east' },
    labels: { department: 'chengguan-grid-3' },
    eventTime: '2026-11-26T06:08:10.000Z',
    createdAt: '2026-11-26T06:08:10.120Z',
    ...o,
  };
}

export function exampleInspection(o: Partial<InspectionRecord> = {}): InspectionRecord {
  return {
    schemaVersion: 1,
    recordId: 'insp-0001',
    shopId: 'S17',
    kind: 'inspection',
    outcome: 'pass',
    points: -10,
    eventTime: T0,
    ...o,
  };
}

export function exampleShopScore(o: Partial<ShopScoreChange> = {}): ShopScoreChange {
  return {
    schemaVersion: 1,
    eventId: 'score-S17-0001',
    ruleId: 'shop-profile',
    shopId: 'S17',
    score: 72,
    colour: 'red',
    previousColour: 'yellow',
    eventTime: T0,
    ...o,
  };
}

export function exampleDelivery(o: Partial<Delivery> = {}): Delivery {
  return {
    schemaVersion: 1,
    deliveryId: 'dlv-0001',
    alertId: 'alert-3f2a9c0d1e',
    workOrderId: 'wo-0001',
    departmentId: 'chengguan-grid-3',
    channel: { type: 'dingtalk', name: 'grid-3-robot' },
    attempt: 1,
    outcome: 'sent',
    at: T0,
    ...o,
  };
}

export function exampleWorkOrderEvent(o: Partial<WorkOrderEvent> = {}): WorkOrderEvent {
  return {
    schemaVersion: 1,
    eventId: 'woe-0001',
    workOrderId: 'wo-0001',
    alertId: 'alert-3f2a9c0d1e',
    departmentId: 'chengguan-grid-3',
    action: 'dispatched',
    status: 'dispatched',
    actor: { kind: 'system', id: 'alert-router', role: 'system' },
    deadline: '2026-11-26T06:38:10.000Z',
    at: T0,
    ...o,
  };
}

export function exampleDepartmentNotice(o: Partial<DepartmentNotice> = {}): DepartmentNotice {
  return {
    schemaVersion: 1,
    noticeId: 'notice-0001',
    departmentId: 'chengguan-grid-3',
    workOrderId: 'wo-0001',
    alert: exampleAlert(),
    at: T0,
    ...o,
  };
}

export function exampleDeadLetter(o: Partial<DeadLetter> = {}): DeadLetter {
  return {
    schemaVersion: 1,
    originalTopic: 'streetwatch.detections.v1',
    partition: 0,
    offset: '42',
    code: 'SW_CONTRACT_INVALID',
    reason: '/score: must be <= 1',
    errors: [{ path: '/score', message: 'must be <= 1' }],
    payloadBase64: Buffer.from('{}').toString('base64'),
    consumerGroup: 'stream-processor',
    at: T0,
    ...o,
  };
}

export const EXAMPLES: { readonly [N in ContractName]: () => ContractOf<N> } = {
  DetectionEvent: exampleDetection,
  CameraHealth: exampleCameraHealth,
  FlowCount: exampleFlowCount,
  Alert: exampleAlert,
  InspectionRecord: exampleInspection,
  ShopScoreChange: exampleShopScore,
  Delivery: exampleDelivery,
  WorkOrderEvent: exampleWorkOrderEvent,
  DepartmentNotice: exampleDepartmentNotice,
  DeadLetter: exampleDeadLetter,
};
