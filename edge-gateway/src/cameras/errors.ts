import { StreetwatchError } from '@streetwatch/platform';
/** The video stages' codes live in the package catalogue (src/errors.ts); re-exported here. */
import { VIDEO_ERRORS } from '../errors.js';

export { VIDEO_ERRORS };

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
