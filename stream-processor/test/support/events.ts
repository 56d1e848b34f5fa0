import { exampleDetection, type DetectionEvent, type InspectionRecord } from '@streetwatch/schemas';
import { parseProcessorConfig, type ProcessorConfig } from '../../src/config/load.js';

/** Event time origin of the tests (ms); `at(90)` is 90 s after it. */
export const T0 = Date.parse('2026-11-26T06:00:00.000Z');
export const at = (seconds: number): number => T0 + seconds * 1000;
export const isoAt = (seconds: number): string => new Date(at(seconds)).toISOString();

let seq = 0;

/** A detection message; `t` and `started` in seconds after T0. */
export function det(o: {
  vid: string;
  phase?: DetectionEvent['phase'];
  t: number;
  started?: number;
  cam?: string;
  zone?: string;
  type?: DetectionEvent['type'];
  shop?: string;
}): DetectionEvent {
  seq += 1;
  const cam = o.cam ?? 'cam-03';
  return exampleDetection({
    eventId: `evt-${o.vid}-${o.phase ?? 'start'}-${o.t}-${seq}`,
    violationId: o.vid,
    phase: o.phase ?? 'start',
    type: o.type ?? 'illegal_parking',
    cameraId: cam,
    zoneId: o.zone ?? 'P1',
    ...(o.shop ? { shopId: o.shop } : {}),
    startedAt: isoAt(o.started ?? o.t),
    eventTime: isoAt(o.t),
    processedAt: isoAt(o.t),
    dwellSeconds: o.t - (o.started ?? o.t),
    ...(o.phase === 'end' ? { endReason: 'left' as const } : {}),
    evidence: {
      url: `http://gw/evidence/${o.vid}.jpg`,
      sha256: 'b'.repeat(64),
      contentType: 'image/jpeg',
      bytes: 1000,
      cameraId: cam,
    },
  });
}

export function inspection(o: { id: string; shop: string; t: number; points: number }): InspectionRecord {
  return {
    schemaVersion: 1,
    recordId: o.id,
    shopId: o.shop,
    kind: 'inspection',
    outcome: o.points < 0 ? 'pass' : 'fail',
    points: o.points,
    eventTime: isoAt(o.t),
  };
}

/** A config from plain objects (processor settings + rules), validated like a file. */
export function config(rules: unknown[], processor: Record<string, unknown> = {}): ProcessorConfig {
  return parseProcessorConfig({ processor, rules }, 'test');
}
