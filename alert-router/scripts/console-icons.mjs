// Draws the console's app icons (an eye over a street grid) as SVG and writes the PNGs the web app
// manifest names into src/console/assets. Run after changing the drawing:
//   node alert-router/scripts/console-icons.mjs
// The PNGs are committed (a few KB each), so serving them needs nothing but the files.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'console', 'assets');

/** `pad`: share of the side kept clear around the drawing (maskable icons need a safe zone). */
function svg(size, pad, rounded) {
  const s = size;
  const c = s / 2;
  const r = (s / 2) * (1 - pad);
  const w = r * 0.98; // eye half-width
  const h = r * 0.6; // eye half-height
  const grid = [];
  for (let i = -2; i <= 2; i++) {
    const x = c + (i * r) / 2.6;
    grid.push(`<line x1="${x}" y1="${c - r}" x2="${x}" y2="${c + r}" />`, `<line x1="${c - r}" y1="${x}" x2="${c + r}" y2="${x}" />`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}" viewBox="0 0 ${s} ${s}">
  <rect width="${s}" height="${s}" rx="${rounded ? s * 0.18 : 0}" fill="#083a66"/>
  <g stroke="#1d5a91" stroke-width="${s / 90}">${grid.join('')}</g>
  <path d="M ${c - w} ${c} Q ${c} ${c - 2 * h} ${c + w} ${c} Q ${c} ${c + 2 * h} ${c - w} ${c} Z" fill="#ffffff"/>
  <circle cx="${c}" cy="${c}" r="${h * 0.78}" fill="#0b4f8a"/>
  <circle cx="${c}" cy="${c}" r="${h * 0.38}" fill="#3ddc84"/>
  <circle cx="${c - h * 0.25}" cy="${c - h * 0.25}" r="${h * 0.14}" fill="#ffffff"/>
</svg>`;
}

const icons = [
  { file: 'icon-192.png', size: 192, pad: 0.12, rounded: true },
  { file: 'icon-512.png', size: 512, pad: 0.12, rounded: true },
  { file: 'icon-maskable-512.png', size: 512, pad: 0.3, rounded: false },
];
for (const i of icons) {
  const png = await sharp(Buffer.from(svg(i.size, i.pad, i.rounded))).png({ compressionLevel: 9, palette: true }).toBuffer();
  writeFileSync(join(out, i.file), png);
  console.log(`${i.file}: ${png.length} bytes`);
}
