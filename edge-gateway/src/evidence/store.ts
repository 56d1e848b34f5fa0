/**
 * Evidence JPEGs on local disk, bounded by age and by total bytes (oldest removed first).
 * Files are written to a temp name, fsynced and renamed, so a referenced id is either complete
 * or absent. Ids are UUIDs: the file name is `<id>.jpg`; the sha256 travels in the event so a
 * reader can check what it downloaded. Files left by a previous run are indexed at start() and
 * fall under the same retention.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { EvidenceRef } from '@streetwatch/schemas';

export interface EvidenceStoreConfig {
  dir: string;
  /** Total bytes kept; the oldest files go first when a put() passes it. */
  maxBytes: number;
  /** Files older than this are removed by prune() (run every `pruneIntervalMs` after start()). */
  maxAgeMs: number;
  pruneIntervalMs?: number;
}

export interface StoredEvidence {
  id: string;
  sha256: string;
  path: string;
  bytes: number;
  createdAt: Date;
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jpg$/;

export function isEvidenceId(id: string): boolean {
  return ID.test(id);
}

interface Entry {
  bytes: number;
  createdAt: number;
}

export class EvidenceStore {
  /** Insertion order = age order (oldest first). */
  private readonly index = new Map<string, Entry>();
  private total = 0;
  private timer: NodeJS.Timeout | undefined;
  private started: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly log: Logger | undefined;

  constructor(
    readonly config: EvidenceStoreConfig,
    deps: { now?: () => number; log?: Logger } = {},
  ) {
    if (!(config.maxBytes > 0) || !(config.maxAgeMs > 0)) throw new RangeError('maxBytes and maxAgeMs must be > 0');
    this.now = deps.now ?? Date.now;
    this.log = deps.log;
  }

  /** Create the directory, index existing files, start the periodic age prune. Idempotent. */
  start(): Promise<void> {
    this.started ??= this.load();
    return this.started;
  }

  private async load(): Promise<void> {
    await mkdir(this.config.dir, { recursive: true });
    const found: { id: string; bytes: number; createdAt: number }[] = [];
    for (const name of await readdir(this.config.dir)) {
      const m = FILE.exec(name);
      if (m === null) {
        if (name.endsWith('.tmp')) await unlink(join(this.config.dir, name)).catch(() => {});
        continue;
      }
      const st = await stat(join(this.config.dir, name)).catch(() => undefined);
      if (st?.isFile()) found.push({ id: m[1] as string, bytes: st.size, createdAt: st.mtimeMs });
    }
    found.sort((a, b) => a.createdAt - b.createdAt);
    for (const f of found) this.add(f.id, f.bytes, f.createdAt);
    await this.prune();
    const every = this.config.pruneIntervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(this.config.maxAgeMs / 10)));
    this.timer = setInterval(() => void this.prune().catch((err: unknown) => this.log?.error({ err }, 'evidence prune failed')), every);
    this.timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  get totalBytes(): number {
    return this.total;
  }

  get count(): number {
    return this.index.size;
  }

  has(id: string): boolean {
    return this.index.has(id);
  }

  /** Absolute path of a stored id, or undefined (bad id or pruned). */
  pathOf(id: string): string | undefined {
    return isEvidenceId(id) && this.index.has(id) ? join(this.config.dir, `${id}.jpg`) : undefined;
  }

  /** Store a JPEG; then enforce maxBytes (the new file itself is kept). */
  async put(jpeg: Buffer): Promise<StoredEvidence> {
    await this.start();
    const id = randomUUID();
    const path = join(this.config.dir, `${id}.jpg`);
    const tmp = `${path}.tmp`;
    const sha256 = createHash('sha256').update(jpeg).digest('hex');
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(jpeg);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    const createdAt = this.now();
    this.add(id, jpeg.length, createdAt);
    await this.enforceBytes(id);
    return { id, sha256, path, bytes: jpeg.length, createdAt: new Date(createdAt) };
  }

  /** Remove files past maxAgeMs, then the oldest until under maxBytes. */
  async prune(): Promise<{ removed: number; bytes: number }> {
    const cutoff = this.now() - this.config.maxAgeMs;
    let removed = 0;
    let bytes = 0;
    for (const [id, e] of this.index) {
      if (e.createdAt > cutoff) break; // age order: the rest are newer
      bytes += await this.remove(id);
      removed++;
    }
    const r = await this.enforceBytes();
    return { removed: removed + r.removed, bytes: bytes + r.bytes };
  }

  private async enforceBytes(keep?: string): Promise<{ removed: number; bytes: number }> {
    let removed = 0;
    let bytes = 0;
    for (const id of this.index.keys()) {
      if (this.total <= this.config.maxBytes) break;
      if (id === keep) continue;
      bytes += await this.remove(id);
      removed++;
    }
    if (removed > 0) this.log?.info({ removed, bytes, totalBytes: this.total }, 'evidence pruned to the byte limit');
    return { removed, bytes };
  }

  private add(id: string, bytes: number, createdAt: number): void {
    this.index.set(id, { bytes, createdAt });
    this.total += bytes;
  }

  private async remove(id: string): Promise<number> {
    const e = this.index.get(id);
    if (e === undefined) return 0;
    this.index.delete(id);
    this.total -= e.bytes;
    await unlink(join(this.config.dir, `${id}.jpg`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return e.bytes;
  }
}

/** The event's evidence reference for a stored file served under `baseUrl` (no trailing slash). */
export function evidenceRef(stored: StoredEvidence, baseUrl: string, meta: { cameraId?: string; capturedAt?: Date } = {}): EvidenceRef {
  const ref: EvidenceRef = {
    url: `${baseUrl.replace(/\/+$/, '')}/evidence/${stored.id}.jpg`,
    sha256: stored.sha256,
    contentType: 'image/jpeg',
    bytes: stored.bytes,
  };
  if (meta.cameraId !== undefined) ref.cameraId = meta.cameraId;
  if (meta.capturedAt !== undefined) ref.capturedAt = meta.capturedAt.toISOString();
  return ref;
}
