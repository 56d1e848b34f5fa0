import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WorkOrderError } from './errors.js';

/** A photo as received from a multipart upload, held in memory (bounded by the upload limits). */
export interface IncomingPhoto {
  readonly filename: string;
  readonly mimetype: string;
  readonly buffer: Buffer;
}

export interface StoredPhoto {
  readonly id: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly sha256: string;
}

const EXT: Record<string, string> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' };

/** The type the bytes say they are (magic numbers), whatever the client declared. */
export function sniffImageType(buf: Buffer): 'image/jpeg' | 'image/png' | 'image/webp' | null {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.length >= 8 && buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf.length >= 12 && buf.toString('latin1', 0, 4) === 'RIFF' && buf.toString('latin1', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** Refuse anything that is not an allowed image type, by declared type and by content. */
export function checkPhoto(p: IncomingPhoto, allowed: readonly string[]): string {
  const sniffed = sniffImageType(p.buffer);
  if (!allowed.includes(p.mimetype) || !sniffed || !allowed.includes(sniffed)) {
    throw new WorkOrderError('SW_ROUTER_UPLOAD_TYPE', `photo "${p.filename.slice(0, 64)}": only ${allowed.join(', ')} are accepted`, {
      fields: [{ path: '/photo', message: `type ${sniffed ?? p.mimetype} is not allowed` }],
    });
  }
  return sniffed;
}

/**
 * Photos of 处置/反馈 on disk: `<dir>/<workOrderId>/<photoId>.<ext>`. Names are generated here, never
 * taken from the client, so a file name cannot escape the directory.
 */
export class PhotoStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async save(workOrderId: string, p: IncomingPhoto, contentType: string): Promise<StoredPhoto> {
    const id = `ph-${randomUUID()}`;
    const fileName = `${id}.${EXT[contentType] ?? 'bin'}`;
    const folder = join(this.dir, workOrderId);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, fileName), p.buffer, { flag: 'wx' });
    return { id, fileName, contentType, bytes: p.buffer.length, sha256: createHash('sha256').update(p.buffer).digest('hex') };
  }

  path(workOrderId: string, fileName: string): string {
    return join(this.dir, workOrderId, fileName);
  }

  async remove(workOrderId: string, fileName: string): Promise<void> {
    await rm(this.path(workOrderId, fileName), { force: true });
  }
}
