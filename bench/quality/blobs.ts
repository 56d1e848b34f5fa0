/**
 * Diagnostic: the static-object layer alone on one quality scene (no detector, cheap): decodes the
 * scene at an analytic fps with ffmpeg, runs the default MotionGate + StaticObjectDetector and
 * prints the blobs whenever they change (id, appearance time, edge score, box in pixels).
 *
 *   npx tsx bench/quality/blobs.ts <scene-id> [fps] [from-s] [to-s]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { analyticFilter, analyticsFor, MotionGate, parseGatewayConfig, StaticObjectDetector, type Frame } from '@streetwatch/edge-gateway';
import { loadScenes, makeScenes, ORIGIN } from './evaluate.js';

const [id, fpsArg = '2', fromArg = '0', toArg = '1e9'] = process.argv.slice(2);
const scene = loadScenes().find((s) => s.id === id);
if (!scene) throw new Error(`no scene ${id ?? '(none given)'}`);
const fps = Number(fpsArg);
const dir = makeScenes([scene.id]);
const config = parseGatewayConfig(
  { gatewayId: 'gw-blobs', outbox: { path: ':memory:' }, detector: { modelDir: '/unused' }, cameras: [{ id: scene.id, source: { type: 'file', path: '/unused' }, analytic: { fps }, zones: scene.zones }] },
  'blobs',
);
const camera = config.cameras[0];
if (!camera) throw new Error('no camera');
const a = analyticsFor(config, camera);
const gate = new MotionGate(a.motion);
const statics = new StaticObjectDetector(a.staticObjects, a.motion.width, a.motion.height);
const W = camera.analytic.width;
const H = camera.analytic.height;
// the same sampling as the gateway's file source (fps filter, scaled to the analytic size)
const ff = spawn('ffmpeg', ['-v', 'error', '-i', join(dir, `${scene.id}.mp4`), '-vf', analyticFilter(camera.analytic), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { stdio: ['ignore', 'pipe', 'inherit'] });
const size = W * H * 3;
let buf = Buffer.alloc(0);
let seq = 0;
let last = '';
const px = (v: number, n: number): number => Math.round(v * n);
for await (const chunk of ff.stdout as AsyncIterable<Buffer>) {
  buf = Buffer.concat([buf, chunk]);
  while (buf.length >= size) {
    const data = buf.subarray(0, size);
    buf = buf.subarray(size);
    const s = seq / fps;
    const frame: Frame = { cameraId: scene.id, seq: seq++, width: W, height: H, data: Buffer.from(data), eventTime: new Date(ORIGIN + s * 1000) };
    const blobs = statics.update(gate.evaluate(frame).grey, frame.eventTime);
    const line = blobs
      .map((b) => `${b.id}@${((b.since.getTime() - ORIGIN) / 1000).toFixed(1)} e${b.score.toFixed(2)} [${px(b.bbox.x, W)},${px(b.bbox.y, H)} ${px(b.bbox.w, W)}x${px(b.bbox.h, H)}]`)
      .join('  ');
    if (s >= Number(fromArg) && s <= Number(toArg) && line !== last) console.log(`${s.toFixed(1).padStart(5)} ${line || '-'}`);
    last = line;
  }
}
