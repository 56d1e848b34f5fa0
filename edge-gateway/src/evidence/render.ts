/**
 * Evidence picture: the analytic frame as a JPEG with the violating boxes and their labels drawn
 * on it (an SVG overlay composited by sharp/libvips). Boxes are in normalized coordinates, so
 * they land right whatever size the frame has.
 */
import sharp from 'sharp';
import { VideoError } from '../cameras/errors.js';
import type { BBox } from '../frame.js';

export interface EvidenceBox {
  bbox: BBox;
  label: string;
  /** CSS colour of the box; default red. */
  color?: string;
}

export interface RenderOptions {
  /** JPEG quality 1-100 (default 80). */
  quality?: number;
  /** A line of text at the top-left (camera, time, rule). */
  caption?: string;
}

export interface RawRgbImage {
  width: number;
  height: number;
  /** Packed rgb24, width * height * 3 bytes. */
  data: Buffer;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

const SAFE_COLOR = /^(#[0-9a-f]{3,8}|[a-z]{3,20}|rgba?\([\d\s.,%]+\))$/i;

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** The SVG drawn over the frame (exported for tests and for callers that want it elsewhere). */
export function overlaySvg(width: number, height: number, boxes: readonly EvidenceBox[], caption?: string): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 160));
  const font = Math.max(10, Math.round(height / 32));
  const parts: string[] = [];
  for (const b of boxes) {
    const x = clamp01(b.bbox.x) * width;
    const y = clamp01(b.bbox.y) * height;
    const w = Math.min(clamp01(b.bbox.w) * width, width - x);
    const h = Math.min(clamp01(b.bbox.h) * height, height - y);
    const color = b.color !== undefined && SAFE_COLOR.test(b.color) ? b.color : '#ff2a2a';
    const label = xmlEscape(b.label.slice(0, 80));
    const ty = y >= font + 4 ? y - 4 : y + font + 2; // above the box, or inside when at the top edge
    const tw = Math.round(label.length * font * 0.6) + 6;
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="${color}" stroke-width="${stroke}"/>`,
      `<rect x="${x.toFixed(1)}" y="${(ty - font).toFixed(1)}" width="${tw}" height="${font + 4}" fill="${color}" fill-opacity="0.75"/>`,
      `<text x="${(x + 3).toFixed(1)}" y="${(ty - 1).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ffffff">${label}</text>`,
    );
  }
  if (caption !== undefined && caption !== '') {
    const text = xmlEscape(caption.slice(0, 160));
    parts.push(
      `<rect x="0" y="0" width="${Math.min(width, Math.round(text.length * font * 0.6) + 10)}" height="${font + 8}" fill="#000000" fill-opacity="0.55"/>`,
      `<text x="5" y="${font + 2}" font-family="DejaVu Sans Mono, monospace" font-size="${font}" fill="#ffffff">${text}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * JPEG of `frame` with `boxes` drawn. Reads `frame.data` until the promise resolves: when the
 * frame comes from the sampler's ring, await this inside the frame handler or copy the data.
 */
export async function renderEvidence(frame: RawRgbImage, boxes: readonly EvidenceBox[], opts: RenderOptions = {}): Promise<Buffer> {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 3) {
    throw new VideoError('SW_EDGE_EVIDENCE_INVALID', `frame ${width}x${height} needs ${width * height * 3} rgb24 bytes, got ${data.length}`);
  }
  const quality = Math.min(100, Math.max(1, Math.round(opts.quality ?? 80)));
  const image = sharp(data, { raw: { width, height, channels: 3 } });
  if (boxes.length > 0 || (opts.caption !== undefined && opts.caption !== '')) {
    image.composite([{ input: Buffer.from(overlaySvg(width, height, boxes, opts.caption)), top: 0, left: 0 }]);
  }
  return image.jpeg({ quality, mozjpeg: false }).toBuffer();
}
