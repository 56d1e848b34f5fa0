import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from 'pino';
import { AnalyticsError } from './errors.js';

/**
 * TF.js backend selection, once per process (TF.js backends are process-global).
 *
 * - `tensorflow`: `@tensorflow/tfjs-node` (libtensorflow), used when the package is
 *   installed and loads. It is not a dependency of this package (its install script
 *   downloads libtensorflow, which fails on a closed network); install it on the box
 *   to get the fast path.
 * - `wasm`: tfjs-core + tfjs-backend-wasm, SIMD when WebAssembly SIMD validates
 *   (Node 20: yes). tfjs-backend-wasm 4.22 disables threads under Node (its pthread
 *   worker is created from a blob: URL), so this backend runs single-threaded.
 */
export type BackendName = 'tensorflow' | 'wasm';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  readonly name: BackendName;
  readonly simd: boolean;
  readonly threads: number;
}

let selected: Promise<BackendInfo> | undefined;

/** Initialise (once) and return the TF.js backend. Later calls return the first choice. */
export function initBackend(preference: BackendPreference, log?: Logger): Promise<BackendInfo> {
  selected ??= choose(preference, log).catch((err: unknown) => {
    selected = undefined;
    throw err;
  });
  return selected;
}

async function choose(preference: BackendPreference, log?: Logger): Promise<BackendInfo> {
  if (preference !== 'wasm') {
    const reason = await tryTfjsNode();
    if (reason === undefined) {
      const info: BackendInfo = { name: 'tensorflow', simd: false, threads: 0 };
      log?.info({ backend: info }, 'TF.js backend: tensorflow (@tensorflow/tfjs-node)');
      return info;
    }
    if (preference === 'tensorflow') {
      throw new AnalyticsError('SW_EDGE_DETECTOR_BACKEND', `tensorflow backend requested: ${reason}`);
    }
    log?.info({ reason }, 'TF.js backend: @tensorflow/tfjs-node unavailable, falling back to wasm');
  }
  return initWasm(log);
}

/** Returns undefined on success, else why tfjs-node cannot be used. */
async function tryTfjsNode(): Promise<string | undefined> {
  // A variable specifier keeps tsc from resolving an optional, uninstalled module.
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
  } catch (err) {
    return `import failed: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) return 'tensorflow backend did not initialise';
    await tf.ready();
    return undefined;
  } catch (err) {
    return `tensorflow backend failed: ${(err as Error).message}`;
  }
}

async function initWasm(log?: Logger): Promise<BackendInfo> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
    wasm.setWasmPaths(`${dist}/`);
    if (!(await tf.setBackend('wasm'))) throw new Error('setBackend("wasm") returned false');
    await tf.ready();
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    const threads = wasm.getThreadsCount();
    const info: BackendInfo = { name: 'wasm', simd, threads };
    log?.info({ backend: info }, `TF.js backend: wasm (simd ${simd ? 'on' : 'off'}, threads ${threads})`);
    return info;
  } catch (cause) {
    throw new AnalyticsError('SW_EDGE_DETECTOR_BACKEND', 'wasm backend failed to initialise', { cause });
  }
}
