/**
 * Decode and evidence-encode costs of the edge video path, on real footage (vtest-20s.mp4).
 *   npx tsc -b && npx tsx bench/edge/decode.ts [--frames N]   (imports the built package)
 *
 * decode: ffmpeg (Debian) -> rgb24 pipe -> Node, per frame, at the analytic sizes the gateway
 *   uses, read (a) into the sampler's preallocated ring (RawFrameReader) and (b) the naive way,
 *   Buffer.concat per frame (the baseline, same run). Reports wall ms/frame for the whole
 *   pipeline and Node CPU ms/frame for the reading side.
 * encode: renderEvidence (sharp JPEG q80 + SVG boxes) vs plain sharp JPEG q80 (baseline).
 * No assertions: numbers for the notes.
 */
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { analyticFilter, RawFrameReader, renderEvidence } from '@streetwatch/edge-gateway';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const scenes = execFileSync('bash', [join(REPO, 'examples/scenes/make-scenes.sh')], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
const clip = join(scenes, 'vtest-20s.mp4');

interface DecodeResult {
  size: string;
  reader: 'ring' | 'concat';
  frames: number;
  wallMsPerFrame: number;
  nodeCpuMsPerFrame: number;
}

async function decode(width: number, height: number, reader: 'ring' | 'concat'): Promise<DecodeResult> {
  // fps=10 = every source frame: the decode cost per frame, not per analytic second
  const args = ['-hide_banner', '-loglevel', 'error', '-i', clip, '-an', '-vf', analyticFilter({ fps: 10, width, height }), '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
  const frameBytes = width * height * 3;
  let frames = 0;
  let checksum = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  if (reader === 'ring') {
    const r = new RawFrameReader({ width, height, ringSize: 4, mode: 'backpressure' }, (data) => {
      frames++;
      checksum += data[frames % data.length]!;
    });
    r.attach(p.stdout);
  } else {
    let pending = Buffer.alloc(0);
    p.stdout.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= frameBytes) {
        const frame = pending.subarray(0, frameBytes);
        pending = pending.subarray(frameBytes);
        frames++;
        checksum += frame[frames % frame.length]!;
      }
    });
  }
  await new Promise((r) => p.on('close', r));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  void checksum;
  return {
    size: `${width}x${height}`,
    reader,
    frames,
    wallMsPerFrame: round(wall / frames),
    nodeCpuMsPerFrame: round((cpu.user + cpu.system) / 1000 / frames),
  };
}

async function encode(iterations: number) {
  const raw = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-ss', '5', '-i', clip, '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'], {
    maxBuffer: 4 << 20,
  });
  const frame = { width: 768, height: 576, data: raw };
  const boxes = [
    { bbox: { x: 0.1, y: 0.5, w: 0.3, h: 0.3 }, label: 'car 0.91' },
    { bbox: { x: 0.5, y: 0.3, w: 0.08, h: 0.25 }, label: 'person 0.77' },
    { bbox: { x: 0.7, y: 0.6, w: 0.1, h: 0.1 }, label: 'umbrella 0.55' },
  ];
  const time = async (fn: () => Promise<Buffer>) => {
    for (let i = 0; i < 5; i++) await fn(); // warm-up
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < iterations; i++) bytes += (await fn()).length;
    return { msPerImage: round((performance.now() - t0) / iterations), avgBytes: Math.round(bytes / iterations) };
  };
  return {
    evidence: await time(() => renderEvidence(frame, boxes, { caption: 'cam-03 2024-05-01T08:00:00Z illegal_parking' })),
    plainJpeg: await time(() => sharp(raw, { raw: { width: 768, height: 576, channels: 3 } }).jpeg({ quality: 80 }).toBuffer()),
  };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

const iterations = Number(process.argv[process.argv.indexOf('--frames') + 1]) || 50;
const decodeResults: DecodeResult[] = [];
for (const [w, h] of [
  [768, 576],
  [640, 480],
  [320, 240],
] as const) {
  for (const reader of ['ring', 'concat'] as const) decodeResults.push(await decode(w, h, reader));
}
const enc = await encode(iterations);
console.table(decodeResults);
console.table(enc);
console.log(JSON.stringify({ bench: 'edge/decode', clip: 'vtest-20s.mp4', cpus: (await import('node:os')).cpus().length, decode: decodeResults, encode: enc }));
