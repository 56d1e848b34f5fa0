import { StreetwatchError } from '@streetwatch/platform';

/**
 * Error codes of the video stages (cameras, source, sampler, evidence).
 * Shaped like the analytics codes (code + cause + retryable) so the lead can fold them into the
 * package catalogue (src/errors.ts) unchanged. The same codes are the `reason` of CameraHealth.
 */
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

export type VideoErrorCode = keyof typeof VIDEO_ERRORS;

/** Codes a supervisor may retry quickly; the others (auth, 404, no ffmpeg) only on the slow schedule. */
const RETRYABLE: ReadonlySet<VideoErrorCode> = new Set<VideoErrorCode>([
  'SW_EDGE_CAMERA_UNREACHABLE',
  'SW_EDGE_STREAM_ENDED',
  'SW_EDGE_STREAM_STALLED',
  'SW_EDGE_DECODER_FAILED',
]);

export class VideoError extends StreetwatchError<VideoErrorCode> {
  constructor(code: VideoErrorCode, message: string, opts: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, `${VIDEO_ERRORS[code]}: ${message}`, { cause: opts.cause, retryable: opts.retryable ?? RETRYABLE.has(code) });
    this.name = 'VideoError';
  }
}

/** Whether a failure with this code is worth retrying on the fast schedule. */
export function isRetryableCode(code: VideoErrorCode): boolean {
  return RETRYABLE.has(code);
}

export function isVideoError(err: unknown): err is VideoError {
  return err instanceof VideoError;
}
