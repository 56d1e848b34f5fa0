import sharp from 'sharp';
import t from 'tap';
import { VideoError } from '../../src/cameras/errors.js';
import { renderEvidence } from '../../src/evidence/render.js';
import { vtestFrame } from '../support/frames.js';

const frame = vtestFrame();

t.test('a real frame becomes a JPEG of the same size with the violating box drawn in red', async (t) => {
  const bbox = { x: 0.25, y: 0.3, w: 0.2, h: 0.4 };
  const jpeg = await renderEvidence(frame, [{ bbox, label: 'car 0.91 <P1> & "dwell"' }], { caption: 'cam-03 2024-05-01T08:00:00Z illegal_parking' });
  t.same([...jpeg.subarray(0, 3)], [0xff, 0xd8, 0xff], 'JPEG magic');
  const meta = await sharp(jpeg).metadata();
  t.match(meta, { format: 'jpeg', width: 768, height: 576 });
  const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number): [number, number, number] => {
    const i = (Math.round(y) * 768 + Math.round(x)) * 3;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  const [r, g, b] = px(bbox.x * 768, (bbox.y + bbox.h / 2) * 576); // on the left edge
  t.ok(r > 180 && g < 90 && b < 90, `left edge is red (${r},${g},${b})`);
  const orig = (x: number, y: number): [number, number, number] => {
    const i = (Math.round(y) * 768 + Math.round(x)) * 3;
    return [frame.data[i]!, frame.data[i + 1]!, frame.data[i + 2]!];
  };
  const inside = px((bbox.x + bbox.w / 2) * 768, (bbox.y + bbox.h / 2) * 576);
  const before = orig((bbox.x + bbox.w / 2) * 768, (bbox.y + bbox.h / 2) * 576);
  t.ok(inside.every((v, i) => Math.abs(v - before[i]!) < 40), 'the box is not filled: the evidence stays visible');
});

t.test('without boxes the frame is still encoded', async (t) => {
  const jpeg = await renderEvidence(frame, [], { quality: 60 });
  t.equal((await sharp(jpeg).metadata()).width, 768);
});

t.test('a buffer that does not match the frame size is refused with SW_EDGE_EVIDENCE_INVALID', async (t) => {
  const err = await renderEvidence({ width: 768, height: 576, data: frame.data.subarray(0, 1000) }, []).catch((e: unknown) => e);
  t.type(err, VideoError);
  t.equal((err as VideoError).code, 'SW_EDGE_EVIDENCE_INVALID');
});
