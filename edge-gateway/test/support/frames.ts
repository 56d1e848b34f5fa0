import { execFileSync } from 'node:child_process';
import { vtestPath } from './video.js';

/** One real 768x576 rgb24 frame of vtest.avi (5 s in), decoded by ffmpeg. */
export function vtestFrame(atSeconds = 5): { width: number; height: number; data: Buffer } {
  const data = execFileSync(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-ss', String(atSeconds), '-i', vtestPath(), '-frames:v', '1', '-pix_fmt', 'rgb24', '-f', 'rawvideo', 'pipe:1'],
    { maxBuffer: 4 * 1024 * 1024 },
  );
  return { width: 768, height: 576, data };
}
