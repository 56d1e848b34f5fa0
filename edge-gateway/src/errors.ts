/**
 * The edge gateway's one error catalogue: every stable code this package raises, with its meaning.
 * Callers branch on `err.code` (and `err.retryable`), never on message text. The stage modules
 * keep their own error classes (VideoError, AnalyticsError) but take their codes from here;
 * configuration errors use the platform's SW_CONFIG_INVALID / SW_CONFIG_UNREADABLE.
 * The video codes are also the `reason` of an offline CameraHealth event.
 */
import { StreetwatchError } from '@streetwatch/platform';

/** Cameras, source, sampler, evidence. */
export const VIDEO_ERRORS = {
  SW_EDGE_CAMERA_AUTH: 'the camera rejected the credentials',
  SW_EDGE_CAMERA_UNREACHABLE: 'the camera cannot be reached (refused, timed out, no route)',
  SW_EDGE_CAMERA_NOT_FOUND: 'the camera has no stream at this path',
  SW_EDGE_STREAM_ENDED: 'the stream ended (server closed it or went away)',
  SW_EDGE_STREAM_STALLED: 'no frame arrived within the watchdog timeout',
  SW_EDGE_DECODER_FAILED: 'ffmpeg failed for another reason',
  SW_EDGE_DECODER_MISSING: 'the ffmpeg executable cannot be started',
  SW_EDGE_ONVIF_PROTOCOL: 'the ONVIF device answered something unusable',
  SW_EDGE_EVIDENCE_INVALID: 'evidence input is invalid (frame size, box, id)',
} as const;

/** The camera's own analytics over ISAPI (alert stream). Auth and reachability use the video codes. */
export const ISAPI_ERRORS = {
  SW_EDGE_ISAPI_UNSUPPORTED: 'the camera has no ISAPI alert stream at this path (404/405) or answered something that is not a multipart stream',
  SW_EDGE_ISAPI_STALLED: 'no byte (not even a heartbeat) arrived on the alert stream within isapi.stallTimeoutMs',
  SW_EDGE_ISAPI_PART_MALFORMED: 'one part of the alert stream could not be parsed (logged and skipped; the stream goes on)',
  SW_EDGE_ISAPI_PART_TOO_LARGE: 'one part of the alert stream was larger than isapi.maxPartBytes (skipped)',
} as const;

/** Motion, detector, tracker, rules. */
export const ANALYTICS_ERRORS = {
  SW_EDGE_MODEL_MISSING: 'detector model files are missing (run scripts/fetch-model.sh)',
  SW_EDGE_MODEL_INVALID: 'detector model files cannot be parsed or do not match the expected graph',
  SW_EDGE_DETECTOR_BACKEND: 'no TF.js backend could be initialised',
  SW_EDGE_DETECTOR_NOT_LOADED: 'detect() called before load() or after close()',
  SW_EDGE_FRAME_INVALID: 'frame buffer size does not match width * height * 3',
  SW_EDGE_DETECTOR_CRASHED: 'the detector worker thread died or hung; its frame is lost and the worker is restarted',
} as const;

/** The per-camera pipeline and the gateway around it. */
export const PIPELINE_ERRORS = {
  SW_EDGE_EVENT_INVALID: 'a built event does not satisfy its contract (a bug): it is not published',
  SW_EDGE_EVIDENCE_FAILED: 'the evidence picture could not be rendered or stored',
  SW_EDGE_FRAME_FAILED: 'a pipeline step failed on one frame (the frame is skipped)',
  SW_EDGE_QUEUE_CLOSED: 'the shared detector queue is closed (the gateway is shutting down)',
  SW_EDGE_FRAME_DROPPED: 'the detector queue is overloaded: a waiting frame was dropped for a newer one (the camera goes on with its next frame)',
  SW_EDGE_START_FAILED: 'the gateway could not start',
  SW_EDGE_OPS_UNAUTHORIZED: 'an ops-server request without the configured bearer token (http.tokenFile / tokenEnv): answered 401',
} as const;

/**
 * Outbox and publisher. Kafka being down is never an error of `append`: it only makes the outbox grow.
 */
export const OUTBOX_ERRORS = {
  SW_EDGE_OUTBOX_UNAVAILABLE: 'the outbox database cannot be opened or written (disk full, permissions, corrupt file)',
  SW_EDGE_OUTBOX_RECORD_INVALID: 'an outbox record is malformed (unknown topic, empty key or eventId)',
  SW_EDGE_OUTBOX_CLOSED: 'the outbox was used after close()',
} as const;

/** The live view (live section): sent to the router in a stream's `state`, shown to viewers. */
export const LIVE_ERRORS = {
  SW_EDGE_LIVE_LIMIT: 'the box runs its maximum of live transcodes (live.maxStreams): a further camera is refused',
  SW_EDGE_LIVE_UNKNOWN_CAMERA: 'the router asked for a camera this box does not have (or has disabled)',
} as const;

export const EDGE_ERRORS = { ...VIDEO_ERRORS, ...ISAPI_ERRORS, ...ANALYTICS_ERRORS, ...OUTBOX_ERRORS, ...PIPELINE_ERRORS, ...LIVE_ERRORS } as const;

export type EdgeErrorCode = keyof typeof EDGE_ERRORS;
export type PipelineErrorCode = keyof typeof PIPELINE_ERRORS;

/** An error of the pipeline / gateway layer (the stages raise VideoError and AnalyticsError). */
export class EdgeError extends StreetwatchError<EdgeErrorCode> {
  constructor(code: EdgeErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean; details?: Record<string, unknown> } = {}) {
    super(code, `${EDGE_ERRORS[code]}: ${message}`, opts);
    this.name = 'EdgeError';
  }
}

/** True for any code in this package's catalogue. */
export function isEdgeErrorCode(code: unknown): code is EdgeErrorCode {
  return typeof code === 'string' && Object.hasOwn(EDGE_ERRORS, code);
}
