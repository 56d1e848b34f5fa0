/**
 * The static-object layer alone on one quality scene (no detector, cheap): decodes the scene at an
 * analytic fps with ffmpeg, the same sampling as the gateway's file source, and runs the default
 * MotionGate + StaticObjectDetector. Used by the blobs.ts diagnostic and the static layer's scene tests.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { analyticFilter, analyticsFor, MotionGate, parseGatewayConfig, StaticObjectDetector, type Frame, type StaticBlob } from '@streetwatch/edge-gateway';
import { ORIGIN, type Scene } from './evaluate.js';

export interface StaticLayerStep {
  /** seconds into the scene */
  readonly s: number;
  readonly blobs: readonly StaticBlob[];
  /** analytic frame size in pixels */
  readonly width: number;
  readonly height: number;
}

/** Every analytic frame of `scene` (composed in `videoDir`) through the static-object layer. */
export async function* staticLayer(scene: Scene, fps: number, videoDir: string): AsyncGenerator<StaticLayerStep> {
  const config = parseGatewayConfig(
    { gatewayId: 'gw-blobs', outbox: { path: ':memory:' }, detector: { modelDir: '/unused' }, cameras: [{ id: scene.id, source: { type: 'file', path: '/unused' }, analytic: { fps }, zones: scene.zones }] },
    'static-layer',
  );
  const camera = config.cameras[0];
  if (!camera) throw new Error('no camera');
  const a = analyticsFor(config, camera);
  const gate = new MotionGate(a.motion);
  const statics = new StaticObjectDetector(a.staticObjects, a.motion.width, a.motion.height);
  const W = camera.analytic.width;
  const H = camera.analytic.height;
  const ff = spawn('ffmpeg', ['-v', 'error', '-i', join(videoDir, `${scene.id}.mp4`), '-vf', analyticFilter(camera.analytic), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const size = W * H * 3;
  let buf = Buffer.alloc(0);
  let seq = 0;
  for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= size) {
      const data = buf.subarray(0, size);
      buf = buf.subarray(size);
      const s = seq / fps;
      const frame: Frame = { cameraId: scene.id, seq: seq++, width: W, height: H, data: Buffer.from(data), eventTime: new Date(ORIGIN + s * 1000) };
      yield { s, blobs: statics.update(gate.evaluate(frame).grey, frame.eventTime), width: W, height: H };
    }
  }
}
