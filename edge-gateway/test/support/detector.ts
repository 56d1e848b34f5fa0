/**
 * The real detector for tests: centernet fetched and verified by scripts/fetch-model.sh (cached
 * outside the repository), on the wasm backend, every other setting the schema's default.
 * `realDetector(t)` builds one, loads it and closes it in teardown.
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseConfig } from '@streetwatch/platform';
import { DetectorConfigSchema, type DetectorConfig } from '../../src/detector/config.js';
import { createDetector } from '../../src/detector/create.js';
import type { DetectorDeps } from '../../src/detector/tfjs-graph.js';
import type { Detector } from '../../src/detector/types.js';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/fetch-model.sh');

export interface Teardown {
  teardown(fn: () => unknown): void;
}

let dir: Promise<string> | undefined;

/** Model folder with verified centernet files (runs scripts/fetch-model.sh once per process; idempotent). */
export function modelDir(): Promise<string> {
  dir ??= promisify(execFile)('bash', [SCRIPT, 'centernet'], { timeout: 600_000, maxBuffer: 1 << 20 }).then(({ stdout }) => {
    const last = stdout.trim().split('\n').pop();
    if (!last) throw new Error('fetch-model.sh printed no model directory');
    return last;
  });
  return dir;
}

/**
 * The detector config tests use: the real model, wasm, one worker thread (the schema's default is
 * one per core), other settings the schema's defaults, unless overridden (`{ workers: 0 }`:
 * inference on the test's own thread).
 */
export async function detectorConfig(overrides: Partial<DetectorConfig> = {}): Promise<DetectorConfig> {
  return parseConfig(DetectorConfigSchema, { modelDir: await modelDir(), backend: 'wasm', workers: 1, ...overrides }, 'test detector');
}

/** A loaded real detector, closed in `t`'s teardown. */
export async function realDetector(t: Teardown, overrides: Partial<DetectorConfig> = {}, deps: DetectorDeps = {}): Promise<Detector> {
  const detector = createDetector(await detectorConfig(overrides), deps);
  t.teardown(() => detector.close());
  await detector.load();
  return detector;
}
