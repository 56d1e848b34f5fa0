import sharp from 'sharp';
import t from 'tap';
import { iou, type BBox, type Frame } from '../../src/frame.js';
import type { MotionConfig, StaticObjectConfig } from '../../src/motion/config.js';
import { MotionGate } from '../../src/motion/gate.js';
import { StaticObjectDetector, type StaticBlob } from '../../src/motion/static-objects.js';
import { decodeFrames, opencvData } from '../detector/fixtures/media.js';

const motion: MotionConfig = { width: 160, height: 90, pixelThreshold: 18, minMotionFraction: 0.003, backgroundTauSeconds: 5, maxIdleSeconds: 10 };
const config: StaticObjectConfig = {
  fastTauSeconds: 3,
  slowTauSeconds: 600,
  absorbTauSeconds: 3600,
  pixelThreshold: 25,
  confirmSeconds: 8,
  minBlobArea: 0.002,
  maxStaticFraction: 0.35,
  blobMatchIou: 0.3,
  initSeconds: 6,
  sameObjectSeconds: 3,
  blobMemorySeconds: 20,
  minEdgeEvidence: 0.45,
  maxTextureCorrelation: 0.9,
};

// Background: one real vtest frame; the "object": the car still, 150x110 px, pasted from t=10 s.
const [background] = await decodeFrames(await opencvData('vtest.avi'), { fps: 1, count: 1, startSeconds: 2 });
if (!background) throw new Error('no frame decoded');
const { width: W, height: H } = background;
const patch = await sharp(await opencvData('licenseplate_motion.jpg')).resize(150, 110, { fit: 'fill' }).removeAlpha().raw().toBuffer();
const PASTE = { x: 420, y: 380, w: 150, h: 110 };
const pasted: BBox = { x: PASTE.x / W, y: PASTE.y / H, w: PASTE.w / W, h: PASTE.h / H };

function paste(into: Buffer, px: number, py: number): void {
  for (let y = 0; y < PASTE.h; y++) patch.copy(into, ((py + y) * W + px) * 3, y * PASTE.w * 3, (y + 1) * PASTE.w * 3);
}

/** Deterministic sensor noise (+-3 grey levels) so frames are not bit-identical. */
function noisy(src: Buffer, seed: number): Buffer {
  const out = Buffer.from(src);
  let s = seed * 2654435761;
  for (let i = 0; i < out.length; i += 7) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = Math.max(0, Math.min(255, (out[i] as number) + ((s >>> 16) % 7) - 3));
  }
  return out;
}

function frameAt(seconds: number, data: Buffer): Frame {
  return { cameraId: 'cam-static', seq: Math.round(seconds * 10), width: W, height: H, data, eventTime: new Date(Date.UTC(2024, 4, 6, 2, 0, 0) + seconds * 1000) };
}

function run(frames: (s: number) => Buffer, seconds: number, fps = 1): Map<number, readonly StaticBlob[]> {
  const gate = new MotionGate(motion);
  const det = new StaticObjectDetector(config, motion.width, motion.height);
  const out = new Map<number, readonly StaticBlob[]>();
  for (let i = 0; i <= seconds * fps; i++) {
    const s = i / fps;
    const f = frameAt(s, frames(s));
    out.set(s, det.update(gate.evaluate(f).grey, f.eventTime));
  }
  return out;
}

t.test('an object left in a static scene becomes a static blob once fast and slow backgrounds diverge', async (t) => {
  const withObject = Buffer.from(background.data);
  paste(withObject, PASTE.x, PASTE.y);
  const blobs = run((s) => noisy(s < 10 ? background.data : withObject, s), 60);
  for (let s = 0; s < 10; s++) t.same(blobs.get(s), [], `t=${s}s: empty scene, no blob`);
  t.same(blobs.get(10), [], 'at the moment it appears the object is moving foreground, not static');
  const firstSeen = [...blobs].find(([, b]) => b.length > 0)?.[0];
  t.ok(firstSeen !== undefined && firstSeen > 10 && firstSeen <= 25, `static after ${(firstSeen ?? 0) - 10} s`);
  const final = blobs.get(60) ?? [];
  t.equal(final.length, 1, 'one blob');
  const blob = final[0];
  if (!blob) return;
  t.ok(iou(blob.bbox, pasted) > 0.6, `blob box matches the pasted object (IoU ${iou(blob.bbox, pasted).toFixed(2)})`);
  // The box is the object's pixels, not the joining dilation's: no side lies more than one cell of
  // the 160x90 grid beyond the object (a dilated box is 1-1.5 cells out on every side, and its
  // ground point a cell low: an object at a zone's lower edge read as outside the zone).
  const cell = { x: 1 / motion.width, y: 1 / motion.height };
  const beyond = {
    left: (pasted.x - blob.bbox.x) / cell.x,
    top: (pasted.y - blob.bbox.y) / cell.y,
    right: (blob.bbox.x + blob.bbox.w - pasted.x - pasted.w) / cell.x,
    bottom: (blob.bbox.y + blob.bbox.h - pasted.y - pasted.h) / cell.y,
  };
  t.ok(Object.values(beyond).every((v) => v <= 1), `box within a cell of the object (${JSON.stringify(beyond, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))})`);
  // The first confirmed frame may show a few fragments that merge on the next frame.
  const settled = [...blobs].filter(([s]) => s > (firstSeen ?? 0));
  t.ok(settled.every(([, b]) => b.length === 1 && b[0]?.id === blob.id), 'from the next frame on, one blob with one stable id');
  t.ok(blobs.get(firstSeen ?? 0)?.some((b) => b.id === blob.id), 'the id is the one given when it first appeared');
  t.ok(blob.ageSeconds > 35 && blob.ageSeconds <= 50, `age ${blob.ageSeconds} s counts from when it became static`);
  t.equal(blob.since.getTime() + blob.ageSeconds * 1000, frameAt(60, background.data).eventTime.getTime());
});

t.test('an object moving through the scene leaves no static blob', async (t) => {
  const blobs = run((s) => {
    const data = Buffer.from(background.data);
    if (s >= 5 && s < 35) paste(data, 20 + (s - 5) * 20, PASTE.y); // 20 px per second, left to right
    return noisy(data, s);
  }, 45);
  const any = [...blobs].filter(([, b]) => b.length > 0);
  t.same(any, [], 'no blob at any time');
});

t.test('a global lighting jump relearns the background instead of reporting a huge blob', async (t) => {
  const brighter = Buffer.from(background.data.map((v) => Math.min(255, v + 60)));
  const blobs = run((s) => noisy(s < 10 ? background.data : brighter, s), 40);
  const huge = [...blobs].flatMap(([, b]) => b).filter((b) => b.area > 0.35);
  t.same(huge, [], 'never a frame-sized blob');
  t.same(blobs.get(40), [], 'nothing static once relearned');
});

t.test('someone standing there in the first seconds leaves no ghost when they go (median start, edge check)', async (t) => {
  const withObject = Buffer.from(background.data);
  paste(withObject, PASTE.x, PASTE.y);
  // the "object" stands there from the first frame to 8 s (longer than half the 6 s initialisation), then is gone
  const blobs = run((s) => noisy(s < 8 ? withObject : background.data, Math.round(s * 10)), 60);
  const any = [...blobs].filter(([, b]) => b.length > 0);
  t.same(any, [], 'the uncovered ground is never reported');
});

t.test('the same object gives the same blob and start time at 1, 2 and 5 fps', async (t) => {
  const withObject = Buffer.from(background.data);
  paste(withObject, PASTE.x, PASTE.y);
  const per = [1, 2, 5].map((fps) => {
    const blobs = run((s) => noisy(s < 10 ? background.data : withObject, Math.round(s * 10)), 40, fps);
    const first = [...blobs].find(([, b]) => b.length > 0);
    const last = blobs.get(40) ?? [];
    return { fps, firstSeen: first?.[0], since: last[0]?.since.getTime(), count: last.length, score: last[0]?.score };
  });
  t.comment(JSON.stringify(per));
  t.ok(per.every((p) => p.count === 1), 'one blob at every rate');
  const sinces = per.map((p) => p.since ?? 0);
  t.ok(Math.max(...sinces) - Math.min(...sinces) <= 1000, 'start times within 1 s');
  const seen = per.map((p) => p.firstSeen ?? 0);
  t.ok(Math.max(...seen) - Math.min(...seen) <= 2, `reported within 2 s of each other (${seen.join(', ')} s)`);
  t.ok(per.every((p) => (p.score ?? 0) > 0.5), 'an object put there has more new outline edges than the ground had');
});

t.test('an object put down next to an older one is its own blob with its own start time', async (t) => {
  const one = Buffer.from(background.data);
  paste(one, PASTE.x, PASTE.y);
  const two = Buffer.from(one);
  paste(two, PASTE.x + PASTE.w, PASTE.y); // touching the first, on its right
  const blobs = run((s) => noisy(s < 10 ? background.data : s < 30 ? one : two, s), 60);
  const last = (blobs.get(60) ?? []).slice().sort((a, b) => a.since.getTime() - b.since.getTime());
  t.equal(last.length, 2, 'two blobs');
  const t0 = Date.UTC(2024, 4, 6, 2, 0, 0);
  t.equal(((last[0]?.since.getTime() ?? 0) - t0) / 1000, 10, 'the first from 10 s');
  t.equal(((last[1]?.since.getTime() ?? 0) - t0) / 1000, 30, 'the second from 30 s, not inherited');
});

/** A 70x180 px piece of the walkway (a real frame region) carried across the frame from x0 to x1 between `from` and `to` s. */
const WALKER = { w: 70, h: 180, sx: 640, sy: 200 };
const walkerOver = (into: Buffer, s: number, from: number, to: number, x0: number, x1: number, y: number): void => {
  if (s < from || s > to) return;
  const x = Math.round(x0 + ((x1 - x0) * (s - from)) / (to - from));
  for (let r = 0; r < WALKER.h; r++) {
    for (let c = 0; c < WALKER.w; c++) {
      const xx = x + c;
      if (xx < 0 || xx >= W) continue;
      const src = ((WALKER.sy + r) * W + WALKER.sx + c) * 3;
      background.data.copy(into, ((y + r) * W + xx) * 3, src, src + 3);
    }
  }
};

t.test('someone walking past in front of an object: the same blob, id and start time, back at once, at 1, 2 and 5 fps', async (t) => {
  const withObject = Buffer.from(background.data);
  paste(withObject, PASTE.x, PASTE.y);
  for (const fps of [1, 2, 5]) {
    // the object from 10 s; a walker crosses in front of it (left to right, 120 px/s) at 28-32 s
    const blobs = run((s) => {
      const data = Buffer.from(s < 10 ? background.data : withObject);
      walkerOver(data, s, 28, 32, 300, 780, PASTE.y - 40);
      return noisy(data, Math.round(s * 10));
    }, 60, fps);
    const t0 = Date.UTC(2024, 4, 6, 2, 0, 0);
    const show = (from: number, to: number): string =>
      [...blobs].filter(([s]) => s >= from && s <= to).map(([s, b]) => `${s}:${b.map((x) => `${x.id}@${(x.since.getTime() - t0) / 1000}`).join('+')}`).join(' ');
    t.comment(`${fps} fps: ${show(20, 45)}`);
    const before = blobs.get(27)?.[0]?.id;
    t.ok(before !== undefined, `${fps} fps: the object is a blob before the walker`);
    const after = [...blobs].filter(([s]) => s >= 28).flatMap(([, b]) => b);
    t.same([...new Set(after.map((b) => b.id))], [before], `${fps} fps: from the walker on, only that blob (no new one)`);
    t.ok(after.every((b) => b.since.getTime() - t0 === 10_000), `${fps} fps: start time still 10 s`);
    // without the occlusion memory every covered pixel needs confirmSeconds (8 s) again
    const missing = [...blobs].filter(([s, b]) => s >= 37 && b.length === 0).map(([s]) => s);
    t.same(missing, [], `${fps} fps: reported on every frame from 37 s (the walker is gone by 32 s; a fresh confirmation would take to ~42 s)`);
  }
});

t.test('a brightness step (a cloud clears) keeps the blob on every frame with its id and start time', async (t) => {
  const withObject = Buffer.from(background.data);
  paste(withObject, PASTE.x, PASTE.y);
  const brighter = Buffer.from(withObject.map((v) => Math.min(255, v + 30)));
  for (const fps of [1, 5]) {
    const blobs = run((s) => noisy(s < 10 ? background.data : s < 30 ? withObject : brighter, Math.round(s * 10)), 50, fps);
    const first = [...blobs].find(([, b]) => b.length > 0)?.[0] ?? 99;
    const gaps = [...blobs].filter(([s, b]) => s > first + 1 && b.length !== 1).map(([s]) => s);
    t.same(gaps, [], `${fps} fps: one blob on every frame from ${first} s to 50 s`);
    const ids = new Set([...blobs].filter(([s]) => s >= 28).flatMap(([, b]) => b.map((x) => x.id)));
    t.equal(ids.size, 1, `${fps} fps: one id from before the step to the end (${[...ids].join(', ')})`);
  }
});

t.test('an object taken away and another put at the same spot is a new blob with its own start time', async (t) => {
  const first = Buffer.from(background.data);
  paste(first, PASTE.x, PASTE.y);
  // the second object: the same picture mirrored and darker (another car of the same size)
  const second = Buffer.from(background.data);
  for (let y = 0; y < PASTE.h; y++) {
    for (let x = 0; x < PASTE.w; x++) {
      for (let c = 0; c < 3; c++) second[((PASTE.y + y) * W + PASTE.x + x) * 3 + c] = Math.round((patch[(y * PASTE.w + (PASTE.w - 1 - x)) * 3 + c] as number) * 0.6);
    }
  }
  for (const fps of [1, 5]) {
    const blobs = run((s) => noisy(s < 10 ? background.data : s < 30 ? first : s < 32 ? background.data : second, Math.round(s * 10)), 60, fps);
    const last = blobs.get(60) ?? [];
    const t0 = Date.UTC(2024, 4, 6, 2, 0, 0);
    t.ok(last.length >= 1, `${fps} fps: the second object is a blob`);
    t.ok(last.every((b) => (b.since.getTime() - t0) / 1000 >= 30), `${fps} fps: counted from when it came (${last.map((b) => (b.since.getTime() - t0) / 1000).join(', ')} s), not from the first`);
  }
});
