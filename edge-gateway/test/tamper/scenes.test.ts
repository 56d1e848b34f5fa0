/**
 * The tamper check on scenes composed with ffmpeg from real footage (vtest.avi, the walkway;
 * examples/scenes/make-tamper-scenes.sh): a cover, a blur and a turned camera are caught with
 * their reason once the dwell has passed; night falling and a bus passing close are not.
 * Frames as the pipeline makes them: 2 fps, the motion gate's 160x90 area-averaged grey.
 * Plus its limits on synthetic frames (learning, disabled, darker vs covered).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import t from 'tap';
import { TamperConfigSchema, type TamperConfig } from '../../src/tamper/config.js';
import { TamperDetector, type TamperTransition } from '../../src/tamper/detector.js';
import { defaultScenesDir } from '../support/video.js';
import { greyFrames, T0 } from './fixtures/scenes.js';

const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/scenes/make-tamper-scenes.sh');
const dir = execFileSync('bash', [script, defaultScenesDir()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() as string;
const config: TamperConfig = { ...(Value.Default(TamperConfigSchema, {}) as TamperConfig), learnSeconds: 8, dwellSeconds: 6, clearSeconds: 4 } as TamperConfig;
const decoded = new Map<string, ReturnType<typeof greyFrames>>();
/** Each scene decoded once (two tests compose from the same scenes). */
const frames = (scene: string) => {
  let f = decoded.get(scene);
  if (f === undefined) decoded.set(scene, (f = greyFrames(join(dir, scene), { fps: 2, width: 640, height: 480, greyWidth: 160, greyHeight: 90 })));
  return f;
};

function run(seq: { grey: Float32Array; eventTime: Date }[], cfg = config) {
  const d = new TamperDetector(cfg, 160, 90);
  const transitions: TamperTransition[] = [];
  const wrong: string[] = [];
  for (const f of seq) {
    const tr = d.update(f.grey, f.eventTime);
    if (tr) transitions.push(tr);
    if (d.lastMeasure && d.lastMeasure.state !== 'ok') wrong.push(d.lastMeasure.state);
  }
  return { transitions, wrong };
}
const sec = (d: Date) => (d.getTime() - T0) / 1000;

for (const [scene, state] of [
  ['tamper-cover.mp4', 'covered'],
  ['tamper-blur.mp4', 'blurred'],
  ['tamper-shift.mp4', 'moved'],
] as const) {
  t.test(`${scene}: ${state} from 12 s, reported once the 6 s dwell has passed`, async (t) => {
    const { transitions } = run(await frames(scene));
    t.equal(transitions.length, 1, 'one transition, no flapping');
    const tr = transitions[0];
    if (tr?.kind !== 'tampered') return t.fail('tampered');
    t.equal(tr.state, state);
    t.equal(sec(tr.since), 12, 'wrong since the first tampered frame');
    t.equal(sec(tr.at), 18, 'reported after the dwell');
  });
}

t.test('night falling (darker, flatter, noisier) is not tampering', async (t) => {
  const r = run(await frames('night.mp4'));
  t.same(r.transitions, []);
  t.same(r.wrong, [], 'no frame even looks wrong: the measures are relative to brightness');
});

t.test('a bus passing close in front of the camera is not tampering', async (t) => {
  t.same(run(await frames('bus.mp4')).transitions, []);
});

t.test('a cover shorter than the dwell is ignored; a longer one is reported and restored once the view is back', async (t) => {
  const plain = await frames('bus.mp4'); // 0-14 s plain walkway
  const cover = await frames('tamper-cover.mp4'); // covered from 12 s
  const at = (f: { grey: Float32Array }, i: number) => ({ grey: f.grey, eventTime: new Date(T0 + i * 500) });
  const short = [...plain.slice(0, 24), ...cover.slice(30, 38), ...plain.slice(0, 24)].map(at); // 4 s covered
  const s = run(short);
  t.same(s.transitions, [], '4 s covered < 6 s dwell');
  t.ok(s.wrong.length >= 8, 'although those frames did look covered');
  const long = [...plain.slice(0, 24), ...cover.slice(30, 50), ...plain.slice(0, 24)].map(at); // 10 s covered
  const l = run(long);
  t.match(
    l.transitions.map((x) => [x.kind, sec(x.at)]),
    [
      ['tampered', 18],
      ['restored', 26],
    ],
    'tampered after 6 s, restored 4 s after the cover went',
  );
});

const cfg = (o: Partial<TamperConfig> = {}): TamperConfig => ({ ...(Value.Default(TamperConfigSchema, {}) as TamperConfig), learnSeconds: 2, dwellSeconds: 2, clearSeconds: 1, ...o }) as TamperConfig;
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
