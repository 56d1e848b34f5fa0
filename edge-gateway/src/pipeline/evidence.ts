/**
 * Evidence for a violation's messages: the frame as a JPEG with the violating box drawn,
 * referenced in the event by its object key and sha256, and queued as a picture in the SAME
 * outbox append as the event (outbox/pictures.ts), from where the uploader puts it into the
 * evidence store. Nothing is served from the box.
 *  - start / update: the current frame, box in red;
 *  - end: the frame on which it ended (box of the last sighting in green: the spot now clear);
 *    without a frame (shutdown) the violation's last picture is referenced again.
 * Keys: `<prefix><yyyy-mm-dd of the event>/<uuid>.jpg`, prefix `edge/<gatewayId>/` by default —
 * the only place this box's S3 identity may write.
 * Rendering reads `frame.data`, so callers await `capture` inside the frame handler.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { EvidenceObjectRef } from '@streetwatch/schemas';
import { renderEvidence, type RawRgbImage } from '../evidence/render.js';
import type { PictureRecord } from '../outbox/pictures.js';
import type { ViolationEvent } from '../rules/engine.js';

export interface EvidenceRecorderOptions {
  /** Key prefix ending in '/', e.g. `edge/gw-xiaohe-01/`. */
  prefix: string;
  quality: number;
}

export interface Capture {
  ref: EvidenceObjectRef;
  /** The new picture to queue with the event; absent when an earlier picture is referenced again. */
  picture?: PictureRecord;
}

export class EvidenceRecorder {
  /** violationId -> its last picture (for an end without a frame). */
  private readonly last = new Map<string, EvidenceObjectRef>();

  constructor(
    private readonly opts: EvidenceRecorderOptions,
    private readonly log?: Logger,
  ) {}

  /** Picture for `v` (undefined when there is none: no frame and no earlier picture). */
  async capture(v: ViolationEvent, frame: RawRgbImage | undefined): Promise<Capture | undefined> {
    if (frame === undefined) {
      const ref = this.last.get(v.violationId);
      return ref === undefined ? undefined : { ref };
    }
    const ended = v.phase === 'end';
    const label = `${v.objectClass}${v.trackId === undefined ? '' : ` ${v.trackId}`} ${v.score.toFixed(2)}${ended ? ' (gone)' : ''}`;
    const caption = `${v.cameraId} ${v.eventTime.toISOString()} ${v.type} ${v.zoneId} ${v.phase}${v.endReason ? ` (${v.endReason})` : ''} dwell ${Math.round(v.dwellSeconds)} s`;
    const jpeg = await renderEvidence(frame, [{ bbox: v.bbox, label, color: ended ? '#22c55e' : '#ff2a2a' }], { quality: this.opts.quality, caption });
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    const key = `${this.opts.prefix}${v.eventTime.toISOString().slice(0, 10)}/${randomUUID()}.jpg`;
    const ref: EvidenceObjectRef = { key, sha256, contentType: 'image/jpeg', bytes: jpeg.length, cameraId: v.cameraId, capturedAt: v.eventTime.toISOString() };
    if (ended) this.last.delete(v.violationId);
    else this.last.set(v.violationId, ref);
    this.log?.debug({ violationId: v.violationId, phase: v.phase, key, bytes: jpeg.length }, 'evidence rendered');
    return { ref, picture: { key, body: jpeg, sha256, contentType: 'image/jpeg', phase: v.phase } };
  }

  /** The violation is over: drop its cached picture. */
  forget(violationId: string): void {
    this.last.delete(violationId);
  }
}
