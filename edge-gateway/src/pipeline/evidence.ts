/**
 * Evidence for a violation's messages: the frame as a JPEG with the violating box drawn, stored
 * with retention and referenced by URL + sha256.
 *  - start / update: the current frame, box in red;
 *  - end: the frame on which it ended (box of the last sighting in green: the spot now clear);
 *    without a frame (shutdown) the violation's last picture is referenced again.
 * Rendering reads `frame.data`, so callers await `capture` inside the frame handler.
 */
import type { Logger } from 'pino';
import type { EvidenceRef } from '@streetwatch/schemas';
import { renderEvidence, type RawRgbImage } from '../evidence/render.js';
import { evidenceRef, type EvidenceStore } from '../evidence/store.js';
import type { ViolationEvent } from '../rules/engine.js';

export interface EvidenceRecorderOptions {
  /** Base URL consumers use to reach this gateway (read at each capture: known after listen). */
  baseUrl: () => string;
  quality: number;
}

export class EvidenceRecorder {
  /** violationId -> its last picture (for an end without a frame). */
  private readonly last = new Map<string, EvidenceRef>();

  constructor(
    private readonly store: EvidenceStore,
    private readonly opts: EvidenceRecorderOptions,
    private readonly log?: Logger,
  ) {}

  /** Picture for `v` (undefined when rendering/storing failed: the event goes out without it). */
  async capture(v: ViolationEvent, frame: RawRgbImage | undefined): Promise<EvidenceRef | undefined> {
    if (frame === undefined) return this.last.get(v.violationId);
    const ended = v.phase === 'end';
    const label = `${v.objectClass}${v.trackId === undefined ? '' : ` ${v.trackId}`} ${v.score.toFixed(2)}${ended ? ' (gone)' : ''}`;
    const caption = `${v.cameraId} ${v.eventTime.toISOString()} ${v.type} ${v.zoneId} ${v.phase}${v.endReason ? ` (${v.endReason})` : ''} dwell ${Math.round(v.dwellSeconds)} s`;
    const jpeg = await renderEvidence(frame, [{ bbox: v.bbox, label, color: ended ? '#22c55e' : '#ff2a2a' }], { quality: this.opts.quality, caption });
    const stored = await this.store.put(jpeg);
    const ref = evidenceRef(stored, this.opts.baseUrl(), { cameraId: v.cameraId, capturedAt: v.eventTime });
    if (ended) this.last.delete(v.violationId);
    else this.last.set(v.violationId, ref);
    this.log?.debug({ violationId: v.violationId, phase: v.phase, evidenceId: stored.id, bytes: stored.bytes }, 'evidence stored');
    return ref;
  }

  /** The violation is over: drop its cached picture. */
  forget(violationId: string): void {
    this.last.delete(violationId);
  }
}
