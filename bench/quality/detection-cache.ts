/**
 * Replay of the detector's answers for frames it has already seen (evaluator only, never the gateway).
 *
 * The evaluator's cost is the detector (~0.15-0.4 s CPU per analytic frame); everything after it
 * (tracker, static objects, rules) is cheap. A change to those stages does not change what the
 * detector says about a frame, so re-running the scenes after such a change need not run it again:
 * this Detector keys each frame by the sha256 of its pixels (plus the model and backend), returns
 * the stored detections when it has them and otherwise runs the real detector and stores its answer.
 * The key is the exact input, so a hit is the answer the detector gave for identical pixels (frames
 * shared by 1 and 5 fps runs of a scene hit too); a changed scene video, model or backend misses.
 *
 * Stored as JSON lines under ~/.cache/streetwatch/quality-detections/<model key>.jsonl (append only).
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Detection, Detector, Frame } from '@streetwatch/edge-gateway';

export interface CacheStats {
  hits: number;
  misses: number;
}

export class CachingDetector implements Detector {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  private readonly memo = new Map<string, Detection[]>();
  private file: string | undefined;

  constructor(
    private readonly inner: Detector,
    /** what makes answers comparable: model files + settings (the backend is added once loaded) */
    private readonly modelKey: string,
    private readonly dir = join(process.env.STREETWATCH_CACHE_DIR ?? join(homedir(), '.cache/streetwatch'), 'quality-detections'),
  ) {}

  get backend(): Detector['backend'] {
    return this.inner.backend;
  }

  async load(): Promise<void> {
    await this.inner.load();
    const b = this.inner.backend;
    const key = createHash('sha256')
      .update(`${this.modelKey}|${b?.name ?? '?'}|${b?.execution ?? '?'}|${b?.oneDnn === true ? 'onednn' : ''}|${b?.tensorflowVersion ?? ''}`)
      .digest('hex')
      .slice(0, 16);
    mkdirSync(this.dir, { recursive: true });
    this.file = join(this.dir, `${key}.jsonl`);
    if (!existsSync(this.file)) return;
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const { k, d } = JSON.parse(line) as { k: string; d: Detection[] };
        this.memo.set(k, d);
      } catch {
        // a line cut by an interrupted run: that frame is detected again
      }
    }
  }

  async detect(frame: Frame): Promise<Detection[]> {
    const k = createHash('sha256').update(`${frame.width}x${frame.height}|`).update(frame.data).digest('base64url');
    const hit = this.memo.get(k);
    if (hit) {
      this.stats.hits++;
      return hit.map((d) => ({ ...d, bbox: { ...d.bbox } }));
    }
    const d = await this.inner.detect(frame);
    this.stats.misses++;
    this.memo.set(k, d);
    if (this.file) appendFileSync(this.file, JSON.stringify({ k, d }) + '\n');
    return d;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A model key from the model folder's graph files (sha256 of its *.json; fetch-model.sh verifies the weights against them) and the detector settings. */
export function modelKeyOf(modelDir: string, settings: unknown): string {
  const h = createHash('sha256');
  for (const f of readdirSync(modelDir).filter((f) => f.endsWith('.json')).sort()) h.update(f).update(readFileSync(join(modelDir, f)));
  return `${h.digest('hex')}|${JSON.stringify(settings)}`;
}
