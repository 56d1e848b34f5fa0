/**
 * The frame-source plug-in point: `source.type` in a camera's config selects an implementation
 * of FrameSource (rtsp, hikvision, onvif, file). Frames and health go to callbacks in deps.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { VideoErrorCode } from '../cameras/errors.js';
import type { Frame } from '../frame.js';

export type HealthStatus = 'online' | 'offline';

/** Maps onto schemas' CameraHealth (the publisher adds schemaVersion, eventId, gatewayId). */
export interface CameraHealthEvent {
  cameraId: string;
  status: HealthStatus;
  /** 'STREAM_OK' when online; the VideoErrorCode that took the camera down otherwise. */
  reason: VideoErrorCode | 'STREAM_OK';
  /** false for SW_EDGE_CAMERA_AUTH etc.: someone has to fix the camera or the config. */
  retryable: boolean;
  /** Redacted ffmpeg stderr tail or error message (never contains credentials). */
  detail?: string;
  eventTime: Date;
  /** When offline: the delay before the next attempt. */
  retryInMs?: number;
  restarts: number;
  stats: { decodedFps: number; lastFrameAgeSeconds: number };
}

export type SourceState = 'idle' | 'starting' | 'online' | 'offline' | 'ended' | 'closed';

export interface SourceStatus {
  cameraId: string;
  state: SourceState;
  reason?: VideoErrorCode | 'STREAM_OK';
  /** ffmpeg processes started so far. */
  spawns: number;
  restarts: number;
  frames: number;
  dropped: number;
  lastFrameAt?: Date;
  decodedFps: number;
}

export interface FrameSource {
  /** Begin decoding; frames and health go to the callbacks in deps. Idempotent. */
  start(): void;
  /** Stop ffmpeg (TERM, then KILL after the grace), cancel retries. Idempotent. */
  close(): Promise<void>;
  status(): SourceStatus;
}

/**
 * `onFrame` may return a promise: live sources deliver the newest frame once it settles
 * (dropping older ones), file sources pause decoding until it settles. `frame.data` is a
 * reused buffer, valid until the handler returns or its promise settles: copy it to keep it.
 */
export interface SourceDeps {
  onFrame: (frame: Frame) => void | Promise<void>;
  onHealth?: (event: CameraHealthEvent) => void;
  /** A file source without loop has delivered its last frame. */
  onEnd?: () => void;
  registry?: Registry;
  log?: Logger;
  now?: () => number;
  /** ffmpeg executable (default: `ffmpeg` on PATH). */
  ffmpegPath?: string;
}
