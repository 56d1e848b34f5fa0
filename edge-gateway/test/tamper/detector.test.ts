/** The tamper check's cost and its limits, on synthetic frames (scenes: scenes.test.ts). */
import { Value } from '@sinclair/typebox/value';
import t from 'tap';
import { TamperConfigSchema, type TamperConfig } from '../../src/tamper/config.js';
import { TamperDetector } from '../../src/tamper/detector.js';

const cfg = (o: Partial<TamperConfig> = {}): TamperConfig => ({ ...(Value.Default(TamperConfigSchema, {}) as TamperConfig), learnSeconds: 2, dwellSeconds: 2, clearSeconds: 1, ...o }) as TamperConfig;
const T0 = Date.parse('2026-12-06T10:00:00Z');
const textured = (seed: number) => Float32Array.from({ length: 160 * 90 }, (_, i) => 60 + ((i * 7919 + seed) % 97) + ((i % 160) > 80 ? 40 : 0));

t.test('nothing is reported while the reference is still being learned', async (t) => {
  const d = new TamperDetector(cfg({ learnSeconds: 10 }), 160, 90);
  for (let i = 0; i < 10; i++) t.equal(d.update(new Float32Array(160 * 90).fill(50), new Date(T0 + i * 500)), undefined);
  t.equal(d.learned, false);
});

t.test('disabled: never reports', async (t) => {
  const d = new TamperDetector(cfg({ enabled: false }), 160, 90);
  for (let i = 0; i < 20; i++) d.update(i < 8 ? textured(1) : new Float32Array(160 * 90).fill(50), new Date(T0 + i * 500));
  t.equal(d.state, undefined);
});

t.test('a flat frame after a textured reference is covered; the same brightness scaled down is not', async (t) => {
  const d = new TamperDetector(cfg(), 160, 90);
  const base = textured(3);
  for (let i = 0; i < 6; i++) d.update(base, new Date(T0 + i * 500));
  t.ok(d.learned);
  d.update(base.map((v) => v * 0.3), new Date(T0 + 3500));
  t.equal(d.lastMeasure?.state, 'ok', 'a darker view of the same scene');
  d.update(new Float32Array(160 * 90).fill(40), new Date(T0 + 4000));
  t.equal(d.lastMeasure?.state, 'covered');
});
