/**
 * `source.type` -> FrameSource. Every type decodes through a supervised ffmpeg; they differ in
 * how the input is found (fixed URL, Hikvision path, ONVIF GetStreamUri, file) and in delivery:
 * live cameras keep the newest frame and stamp arrival time, replays apply backpressure and
 * stamp a virtual clock.
 */
import type { CameraConfig, SourceConfig, SourceType } from '../cameras/config.js';
import { resolveOnvifStream } from '../cameras/onvif.js';
import { hikvisionRtspUrl, withCredentials } from '../cameras/url.js';
import type { FfmpegInput } from './ffmpeg.js';
import { FfmpegFrameSource, type FfmpegSourceOptions } from './ffmpeg-source.js';
import type { FrameSource, SourceDeps } from './types.js';

type Plan = Pick<FfmpegSourceOptions, 'mode' | 'clock' | 'resolveInput' | 'endIsFinal'>;
type Planner<T extends SourceConfig> = (source: T, camera: CameraConfig) => Plan;

function live(resolveInput: () => FfmpegInput | Promise<FfmpegInput>): Plan {
  return { mode: 'latest', clock: 'live', resolveInput, endIsFinal: false };
}

/** ffmpeg's own socket timeout is a backstop behind the watchdog (which acts first, as STALLED). */
function ioTimeout(camera: CameraConfig): number {
  return 2 * Math.max(camera.watchdog.stallTimeoutMs, camera.watchdog.firstFrameTimeoutMs);
}

/**
 * The camera's password. `passwordEnv` / `passwordFile` are resolved into `password` by the
 * config loading (config/secrets.ts): one still here means the config bypassed it, a bug.
 */
function passwordOf(s: { password?: string | undefined; passwordEnv?: string | undefined; passwordFile?: string | undefined }): string {
  if (s.passwordEnv !== undefined || s.passwordFile !== undefined) {
    throw new TypeError('camera password reference not resolved: load the config with loadGatewayConfig/parseGatewayConfig');
  }
  return s.password ?? '';
}

const PLANNERS: { [K in SourceType]: Planner<Extract<SourceConfig, { type: K }>> } = {
  rtsp: (s, cam) => {
    const password = passwordOf(s);
    const url = s.username === undefined ? s.url : withCredentials(s.url, s.username, password);
    return live(() => ({ kind: 'rtsp', url, ioTimeoutMs: ioTimeout(cam) }));
  },
  hikvision: (s, cam) => {
    const url = hikvisionRtspUrl({ host: s.host, port: s.port, channel: s.channel, stream: s.stream, username: s.username, password: passwordOf(s) });
    return live(() => ({ kind: 'rtsp', url, ioTimeoutMs: ioTimeout(cam) }));
  },
  onvif: (s, cam) =>
    // Resolved again on every (re)start: a camera may hand out a new URI after a reboot.
    live(async () => {
      const stream = await resolveOnvifStream(
        { host: s.host, port: s.port, path: s.path, username: s.username, password: passwordOf(s), timeoutMs: s.timeoutMs },
        s.profile,
      );
      return { kind: 'rtsp', url: stream.uri, ioTimeoutMs: ioTimeout(cam) };
    }),
  file: (s) => {
    const clock = s.startTime === undefined ? {} : { originMs: Date.parse(s.startTime) };
    return {
      mode: 'backpressure',
      clock,
      resolveInput: () => ({ kind: 'file', path: s.path, loop: s.loop, realtime: s.realtime }),
      endIsFinal: !s.loop,
    };
  },
};

/** Build the frame source a camera's `source.type` selects (config already parsed: defaults filled). */
export function createFrameSource(camera: CameraConfig, deps: SourceDeps): FrameSource {
  const planner = PLANNERS[camera.source.type] as Planner<SourceConfig>;
  return new FfmpegFrameSource(
    { cameraId: camera.id, analytic: camera.analytic, watchdog: camera.watchdog, ...planner(camera.source, camera) },
    deps,
  );
}

/** What a camera's ffmpeg opens (URL with credentials, or a file), resolved on every call: the live view's transcode opens the same input. */
export function cameraInput(camera: CameraConfig): () => FfmpegInput | Promise<FfmpegInput> {
  const planner = PLANNERS[camera.source.type] as Planner<SourceConfig>;
  return planner(camera.source, camera).resolveInput;
}
