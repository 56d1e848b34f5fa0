/** Grey analysis frames of a scene, as the motion gate makes them: ffmpeg rgb24 at the analytic size, area-averaged to grey. */
import { spawn } from 'node:child_process';
import type { Frame } from '../../src/frame.js';
import { downscaleGrey } from '../../src/motion/downscale.js';

export const T0 = Date.parse('2026-12-06T10:00:00Z');

export async function greyFrames(file: string, opts: { fps: number; width: number; height: number; greyWidth: number; greyHeight: number }): Promise<{ grey: Float32Array; eventTime: Date }[]> {
  const bytes = opts.width * opts.height * 3;
  const out: { grey: Float32Array; eventTime: Date }[] = [];
  let pending = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const ff = spawn('ffmpeg', ['-v', 'error', '-i', file, '-vf', `fps=${opts.fps},scale=${opts.width}:${opts.height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    ff.stdout.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= bytes) {
        const i = out.length;
        const frame: Frame = { cameraId: 'cam-t', seq: i, width: opts.width, height: opts.height, data: pending.subarray(0, bytes), eventTime: new Date(T0 + Math.round((i * 1000) / opts.fps)) };
        out.push({ grey: Float32Array.from(downscaleGrey(frame, opts.greyWidth, opts.greyHeight)), eventTime: frame.eventTime });
        pending = pending.subarray(bytes);
      }
    });
    ff.stderr.on('data', (c: Buffer) => (err += c.toString()));
    ff.on('error', reject);
    ff.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
  return out;
}
