import type { DetectionEvent } from '@streetwatch/schemas';
import { det } from './events.js';

/**
 * A deterministic detection stream over many cameras (so every partition gets traffic): each
 * camera has violations in two zones, some short (ended before the dwell threshold), some long,
 * some in front of shops. Events are in event-time order per camera. `half` 1 covers event time
 * 0..~10 min, half 2 starts 20 min later, so no window, timer or decay episode spans the gap
 * (whatever the wall-clock pause between feeding the halves, the decisions are the same).
 */
export const STREAM_RULES = [
  { id: 'repeat', kind: 'count', threshold: 3, window: '60s', groupBy: 'zone' },
  { id: 'dwell', kind: 'dwell', minDuration: '45s' },
  { id: 'shop', kind: 'score', filters: { types: ['shopfront_spillover'] }, weights: { shopfront_spillover: 30 }, halfLife: '2m', thresholds: { yellow: 40, red: 80 } },
];

export function stream(half: 1 | 2, cameras = 12, perCamera = 18): DetectionEvent[] {
  const base = half === 1 ? 0 : 1800;
  const out: Array<{ t: number; e: DetectionEvent }> = [];
  for (let c = 0; c < cameras; c++) {
    const cam = `cam-${String(c).padStart(2, '0')}`;
    let t = base + (c % 5);
    for (let j = 0; j < perCamera; j++) {
      const zone = j % 3 === 0 ? 'P2' : 'P1';
      const spill = c % 4 === 0 && j % 2 === 0;
      const type = spill ? 'shopfront_spillover' : 'illegal_parking';
      const shop = spill ? `S${c}` : undefined;
      const vid = `h${half}-${cam}-${j}`;
      const long = (c + j) % 4 === 0;
      const duration = long ? 50 + ((c * 7 + j) % 20) : 5 + ((c + j) % 15);
      const evs = [det({ vid, t, cam, zone, type, ...(shop ? { shop } : {}) })];
      for (let u = t + 10; u < t + duration; u += 10) evs.push(det({ vid, phase: 'update', t: u, started: t, cam, zone, type, ...(shop ? { shop } : {}) }));
      evs.push(det({ vid, phase: 'end', t: t + duration, started: t, cam, zone, type, ...(shop ? { shop } : {}) }));
      for (const e of evs) out.push({ t: Date.parse(e.eventTime), e });
      t += duration + 1 + ((c * 3 + j) % 7) * (j % 5 === 4 ? 10 : 1);
    }
  }
  // Stable sort by event time: per-camera order is kept, cameras interleave like live traffic.
  return out.sort((a, b) => a.t - b.t).map((x) => x.e);
}

/**
 * Watermark flush: one violation start per extra camera (and per extra shop) three hours of event
 * time after the stream, so every detections and shop partition's event time passes every window
 * and timer of the stream by events alone, without waiting for the wall-clock idle timeout. They
 * trigger nothing themselves (one start per zone, no duration, 30 points < yellow).
 */
export function flush(count = 24): DetectionEvent[] {
  const t = 3 * 3600;
  const out: DetectionEvent[] = [];
  for (let i = 0; i < count; i++) {
    const cam = `flush-${String(i).padStart(2, '0')}`;
    out.push(det({ vid: `flush-${cam}`, t, cam, zone: 'FLUSH' }));
    out.push(det({ vid: `flush-shop-${cam}`, t, cam, zone: 'FLUSH-S', type: 'shopfront_spillover', shop: `FLUSH-${i}` }));
  }
  return out;
}
