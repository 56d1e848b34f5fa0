#!/usr/bin/env node
// Compose the quality scenes (examples/scenes/quality/*.json) with ffmpeg from real footage and
// real stills (Debian opencv-doc: vtest.avi, licenseplate_motion.jpg, box.png, fruits.jpg, ...).
// Each scene file holds its recipe (base footage, layers, camera effects), the zones the gateway
// is configured with, and its ground truth. Deterministic; cached per scene: a scene is rebuilt
// only when its JSON or this script changes (sha256 beside the video).
//   node compose.mjs DATA_DIR OUT_DIR [scene-id ...]
// Recipe (pixels of the 768x576 frame, seconds of the scene):
//   base: { start }                   vtest.avi from `start` s, looped
//   layers[]: { image, crop?: [w,h,x,y], width, x, bottom, from, to, hflip?, eq?, move?: { x0, x1 } }
//             { patch: { t, crop: [w,h,x,y] }, width?, x, bottom, from, to }   a region of vtest at t s
//   effects[]: { kind: 'dark' | 'rain' | 'shake', px? } | { kind: 'light', from, to?, brightness }
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [data, out, ...only] = process.argv.slice(2);
if (!data || !out) {
  console.error('usage: compose.mjs DATA_DIR OUT_DIR [scene-id ...]');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const self = readFileSync(fileURLToPath(import.meta.url));
const ff = (args) => execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });

function patchFrame(t) {
  const f = join(out, `.vtest-${t.toFixed(1)}.png`);
  if (!existsSync(f)) {
    ff(['-ss', String(t), '-i', join(data, 'vtest.avi'), '-frames:v', '1', `${f}.tmp.png`]);
    renameSync(`${f}.tmp.png`, f);
  }
  return f;
}

function effect(e) {
  switch (e.kind) {
    case 'dark': // dusk: darker, flatter, sensor noise
      return 'eq=brightness=-0.22:contrast=0.65:saturation=0.6,noise=alls=14:allf=t';
    case 'rain': // rain on the lens: blur plus fine noise, lower contrast
      return 'gblur=sigma=2.2,eq=contrast=0.85,noise=alls=10:allf=t';
    case 'shake': { // the pole sways: a few pixels, two frequencies
      const p = e.px ?? 3;
      return `crop=w=iw-${4 * p}:h=ih-${4 * p}:x='${2 * p}+${p}*sin(2*PI*t*1.3)':y='${2 * p}+${p}*sin(2*PI*t*0.9+1)',scale=768:576`;
    }
    case 'light': { // a cloud: global brightness step
      const to = e.to ?? 1e9;
      return `eq=brightness=${e.brightness}:enable='between(t,${e.from},${to})'`;
    }
    default:
      throw new Error(`unknown effect ${e.kind}`);
  }
}

function compose(scene, file) {
  const inputs = ['-stream_loop', '-1', '-ss', String(scene.base?.start ?? 0), '-i', join(data, 'vtest.avi')];
  const chains = ['[0:v]fps=10,format=yuv420p[b0]'];
  let prev = 'b0';
  scene.layers.forEach((l, i) => {
    const src = l.patch ? patchFrame(l.patch.t) : join(data, l.image);
    inputs.push('-loop', '1', '-framerate', '10', '-t', String(scene.duration), '-i', src);
    const crop = l.patch ? l.patch.crop : l.crop;
    const f = [];
    if (crop) f.push(`crop=${crop[0]}:${crop[1]}:${crop[2]}:${crop[3]}`);
    if (l.width) f.push(`scale=${l.width}:-2`);
    if (l.hflip) f.push('hflip');
    if (l.eq) f.push(`eq=${l.eq}`);
    f.push('format=yuva420p');
    chains.push(`[${i + 1}:v]${f.join(',')}[l${i}]`);
    const x = l.move ? `${l.move.x0}+(${l.move.x1}-(${l.move.x0}))*(t-${l.from})/(${l.to}-${l.from})` : String(l.x);
    chains.push(`[${prev}][l${i}]overlay=x='${x}':y=${l.bottom}-h:enable='between(t,${l.from},${l.to})':eof_action=pass[o${i}]`);
    prev = `o${i}`;
  });
  const fx = (scene.effects ?? []).map(effect);
  chains.push(`[${prev}]${fx.length ? fx.join(',') : 'null'}[v]`);
  const tmp = `${file}.tmp.mp4`;
  ff([...inputs, '-filter_complex', chains.join(';'), '-map', '[v]', '-t', String(scene.duration), '-r', '10',
    '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-g', '10', '-bf', '0', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an', tmp]);
  renameSync(tmp, file);
}

const files = readdirSync(here).filter((f) => f.endsWith(".json")).sort();
let cached = 0;
let built = 0;
for (const f of files) {
  const text = readFileSync(join(here, f));
  const scene = JSON.parse(text.toString('utf8'));
  if (only.length && !only.includes(scene.id)) continue;
  const hash = createHash('sha256').update(text).update(self).digest('hex').slice(0, 16);
  const video = join(out, `${scene.id}.mp4`);
  const stamp = `${video}.sha`;
  if (existsSync(video) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    cached++;
    continue;
  }
  compose(scene, video);
  writeFileSync(stamp, hash);
  built++;
  console.error(`scene ${scene.id}: built`);
}
console.error(`quality scenes: ${built} built, ${cached} cached`);
console.log(out);
