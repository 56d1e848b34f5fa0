import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { RawFrameReader } from '../../src/sampler/frame-reader.js';
import { vtestPath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const W = 8;
const H = 6;
const BYTES = W * H * 3;

function syntheticFrames(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(BYTES, i + 1).fill(255 - i, 0, 5));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

t.test('frames cut from arbitrary chunk boundaries are byte-exact and counted in order', async (t) => {
  const frames = syntheticFrames(12);
  const all = Buffer.concat(frames);
  const got: { hash: string; index: number }[] = [];
  const reader = new RawFrameReader({ width: W, height: H, mode: 'latest' }, (data, index) => {
    got.push({ hash: sha(data), index });
  });
  let pos = 0;
  let size = 1;
  while (pos < all.length) {
    const n = Math.min(size, all.length - pos);
    reader.push(all.subarray(pos, pos + n));
    pos += n;
    size = (size * 7 + 3) % 97 + 1; // chunk sizes 1..97, crossing frame boundaries every way
  }
  t.same(got.map((g) => g.hash), frames.map(sha));
  t.same(got.map((g) => g.index), [...Array(12).keys()]);
  t.equal(reader.dropped, 0);
});

t.test('frames decoded by real ffmpeg always arrive in one of the preallocated ring buffers', async (t) => {
  const args = ['-hide_banner', '-loglevel', 'error', '-i', vtestPath(), '-t', '10', '-vf', 'fps=5,scale=320:240', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'];
  // reference: the same decode read whole
  const ref = await new Promise<Buffer>((resolve, reject) => {
    const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const parts: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => parts.push(c));
    p.on('error', reject);
    p.on('close', () => resolve(Buffer.concat(parts)));
  });
  const frameBytes = 320 * 240 * 3;
  t.equal(ref.length % frameBytes, 0);
  const refHashes = Array.from({ length: ref.length / frameBytes }, (_, i) => sha(ref.subarray(i * frameBytes, (i + 1) * frameBytes)));
  t.ok(refHashes.length >= 45, `decoded ${refHashes.length} frames`);

  const seen = new Set<ArrayBufferLike>();
  const hashes: string[] = [];
  let outsideRing = 0;
  const reader = new RawFrameReader({ width: 320, height: 240, ringSize: 4, mode: 'backpressure' }, async (data) => {
    if (!reader.slots.includes(data)) outsideRing++;
    seen.add(data.buffer);
    hashes.push(sha(data));
    await new Promise((r) => setImmediate(r)); // an async consumer, as the analytics are
  });
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void p.kill('SIGKILL'));
  reader.attach(p.stdout);
  await new Promise((r) => p.on('close', r));
  await reader.whenIdle();
  t.equal(outsideRing, 0, 'every frame is a ring slot');
  t.ok(seen.size <= 4, `${seen.size} distinct buffers for ${hashes.length} frames`);
  t.same(hashes, refHashes, 'no frame lost, reordered or torn');
});

t.test("'latest' mode keeps only the newest frame while the sink is busy and counts the drops", async (t) => {
  const frames = syntheticFrames(5);
  let release: () => void = () => {};
  const got: number[] = [];
  const reader = new RawFrameReader({ width: W, height: H, ringSize: 3, mode: 'latest' }, (data, index) => {
    got.push(index);
    t.equal(sha(data), sha(frames[index] as Buffer), `frame ${index} intact`);
    if (index === 0) return new Promise<void>((r) => (release = r));
  });
  for (const f of frames) reader.push(f); // 0 delivered and held; 1..4 complete meanwhile
  t.same(got, [0]);
  release();
  await reader.whenIdle();
  t.same(got, [0, 4], 'the newest waiting frame is delivered, the older ones dropped');
  t.equal(reader.dropped, 3);
});

t.test("'backpressure' mode pauses the stream instead of dropping frames", async (t) => {
  const frames = syntheticFrames(20);
  const stream = new PassThrough();
  let pausedSeen = false;
  const got: number[] = [];
  const reader = new RawFrameReader({ width: W, height: H, ringSize: 3, mode: 'backpressure' }, async (data, index) => {
    got.push(index);
    t.equal(sha(data), sha(frames[index] as Buffer));
    pausedSeen ||= stream.isPaused();
    await new Promise((r) => setTimeout(r, 1));
  });
  reader.attach(stream);
  stream.end(Buffer.concat(frames)); // one chunk holding all 20 frames
  await waitFor(() => got.length === 20, { what: 'all 20 frames' });
  await reader.whenIdle();
  t.same(got, [...Array(20).keys()]);
  t.equal(reader.dropped, 0);
  t.ok(pausedSeen, 'the stream was paused while the sink worked');
});

t.test('the ring must hold at least 3 frames', async (t) => {
  t.throws(() => new RawFrameReader({ width: W, height: H, ringSize: 2, mode: 'latest' }, () => {}), RangeError);
});
