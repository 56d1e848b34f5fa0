import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Logger } from 'pino';
import { AnalyticsError } from './errors.js';

/**
 * TF.js backend selection, once per thread (TF.js backends are global to a JS realm; each
 * detector worker thread chooses its own).
 *
 * - `tensorflow`: the native package (`@tensorflow/tfjs-node`, or `@tensorflow/tfjs-node-gpu`
 *   by `detector.nativePackage`), used when it is installed and loads. It is an optional
 *   dependency whose install script npm does not run (it downloads from a non-registry host);
 *   `scripts/build-tfjs-node.sh` builds it from npm + PyPI's libtensorflow (scripts/test.sh and
 *   the demo run it). Its thread pools are sized by TF_NUM_INTRAOP_THREADS /
 *   TF_NUM_INTEROP_THREADS, read by libtensorflow from the process environment
 *   (`setNativeThreads`, before the first load).
 * - `wasm`: tfjs-core + tfjs-backend-wasm, SIMD when WebAssembly SIMD validates
 *   (Node 20: yes). tfjs-backend-wasm 4.22 disables threads under Node (its pthread
 *   worker is created from a blob: URL), so this backend runs single-threaded.
 */
export type BackendName = 'tensorflow' | 'wasm';
export type BackendPreference = 'auto' | BackendName;
export type NativePackage = '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';

export interface BackendInfo {
  readonly name: BackendName;
  /** wasm: WebAssembly SIMD in use. */
  readonly simd: boolean;
  /** wasm: its thread count; tensorflow: the intra-op threads libtensorflow was given (0: its default, one per core). */
  readonly threads: number;
  /** tensorflow: the native package and libtensorflow's version (TF_Version). */
  readonly package?: NativePackage;
  readonly tensorflowVersion?: string;
  /** tensorflow: oneDNN kernels on (TF_ENABLE_ONEDNN_OPTS). */
  readonly oneDnn?: boolean;
  /** When the native backend was not chosen under `auto`: why (wasm is used instead). */
  readonly fallbackReason?: string;
  /** How the detector runs its model on this backend (set once the model is loaded): graph = SavedModel session, ops = op by op. */
  readonly execution?: 'graph' | 'ops';
}

export interface BackendOptions {
  readonly preference: BackendPreference;
  readonly nativePackage?: NativePackage;
}

/** The subset of tfjs-node's `tf.node` this package uses (the module is optional: no static types). */
export interface TfNode {
  loadSavedModel(path: string, tags?: string[], signature?: string): Promise<SavedModel>;
}
export interface SavedModel {
  predict(inputs: tf.Tensor | Record<string, tf.Tensor>): tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;
  dispose(): void;
}

let selected: Promise<BackendInfo> | undefined;
let tfNode: TfNode | undefined;

/** Initialise (once) and return the TF.js backend. Later calls return the first choice. */
export function initBackend(options: BackendOptions | BackendPreference, log?: Logger): Promise<BackendInfo> {
  const opts: BackendOptions = typeof options === 'string' ? { preference: options } : options;
  selected ??= choose(opts, log).catch((err: unknown) => {
    selected = undefined;
    throw err;
  });
  return selected;
}

/** `tf.node` of the loaded native package (SavedModel execution); undefined on wasm. */
export function nativeApi(): TfNode | undefined {
  return tfNode;
}

/**
 * Size libtensorflow's thread pools and pick its CPU kernels (oneDNN or Eigen), process-wide: call on the main thread before any detector
 * loads (the variables are read by libtensorflow when a thread's backend starts; a worker
 * thread's `process.env` is a copy that the C library does not see). Variables already set in
 * the environment win. `intraOp` 0 leaves TensorFlow's default (one thread per core).
 *
 * Both pools are process-wide: every detector worker thread's session shares them. The inter-op
 * pool is sized to the worker count, so each worker's inference runs on a thread of its own; with
 * one inter-op thread the workers' inferences ran one at a time (measured in bench/edge/capacity.ts:
 * ~15 frames/s at most on 2 cores with 2 workers, against ~21 with 2 inter-op threads).
 */
export function setNativeThreads(intraOp: number, oneDnn = true, env: NodeJS.ProcessEnv = process.env, workers = 1): void {
  if (intraOp > 0) env.TF_NUM_INTRAOP_THREADS ??= String(intraOp);
  env.TF_NUM_INTEROP_THREADS ??= String(Math.max(1, workers));
  // oneDNN's fp32 kernels (fused conv + bias + activation): ~30 % less CPU per frame than
  // TensorFlow's default Eigen kernels here; results differ by float round-off only (tested).
  env.TF_ENABLE_ONEDNN_OPTS ??= oneDnn ? '1' : '0';
  // TensorFlow's start-up banner (CPU features, oneDNN) goes to stderr, not to the JSON log.
  env.TF_CPP_MIN_LOG_LEVEL ??= '2';
}

async function choose(opts: BackendOptions, log?: Logger): Promise<BackendInfo> {
  const pkg = opts.nativePackage ?? '@tensorflow/tfjs-node';
  let fallbackReason: string | undefined;
  if (opts.preference !== 'wasm') {
    const r = await tryTfjsNode(pkg);
    if (typeof r !== 'string') {
      const threads = Number(process.env.TF_NUM_INTRAOP_THREADS ?? 0) || 0;
      const info: BackendInfo = {
        name: 'tensorflow',
        simd: false,
        threads,
        package: pkg,
        ...(r.version !== undefined && { tensorflowVersion: r.version }),
        oneDnn: process.env.TF_ENABLE_ONEDNN_OPTS === '1',
      };
      log?.info({ backend: info }, `TF.js backend: tensorflow (${pkg}, TensorFlow ${r.version ?? '?'})`);
      return info;
    }
    if (opts.preference === 'tensorflow') {
      throw new AnalyticsError('SW_EDGE_DETECTOR_BACKEND', `tensorflow backend requested: ${r}`);
    }
    fallbackReason = `${pkg}: ${r}`;
    log?.warn({ reason: fallbackReason }, `TF.js backend: ${pkg} unavailable, falling back to wasm (slower; edge-gateway/scripts/build-tfjs-node.sh builds it)`);
  }
  const info = await initWasm(log);
  return fallbackReason === undefined ? info : { ...info, fallbackReason };
}

/** The TF version on success, else why the native package cannot be used. */
async function tryTfjsNode(pkg: NativePackage): Promise<{ version: string | undefined } | string> {
  let mod: { node?: TfNode };
  try {
    mod = (await import(pkg)) as { node?: TfNode };
  } catch (err) {
    return `import failed: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
  try {
    if (!(await tf.setBackend('tensorflow'))) return 'tensorflow backend did not initialise';
    await tf.ready();
    tfNode = mod.node;
    const binding = (tf.backend() as { binding?: { TF_Version?: unknown } }).binding;
    return { version: typeof binding?.TF_Version === 'string' ? binding.TF_Version : undefined };
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
