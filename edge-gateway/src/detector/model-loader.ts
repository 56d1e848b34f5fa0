import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { AnalyticsError } from './errors.js';

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  modelTopology?: unknown;
  signature?: unknown;
  userDefinedMetadata?: Record<string, object>;
  modelInitializer?: unknown;
  weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/**
 * Load a TF.js graph model from local files through an in-memory IOHandler
 * (`loadGraphModel('file://...')` needs tfjs-node, which may be absent).
 * Weight shards are concatenated in manifest order into one standalone ArrayBuffer.
 */
export async function loadGraphModelFromFiles(modelJsonPath: string): Promise<GraphModel> {
  let json: ModelJson;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT';
    throw new AnalyticsError(missing ? 'SW_EDGE_MODEL_MISSING' : 'SW_EDGE_MODEL_INVALID', modelJsonPath, { cause });
  }
  if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
    throw new AnalyticsError('SW_EDGE_MODEL_INVALID', `${modelJsonPath}: no modelTopology/weightsManifest`);
  }
  const dir = dirname(modelJsonPath);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      try {
        shards.push(await readFile(join(dir, p)));
      } catch (cause) {
        throw new AnalyticsError('SW_EDGE_MODEL_MISSING', join(dir, p), { cause });
      }
    }
  }
  // A Node Buffer may be a view into a shared pool: copy into a standalone ArrayBuffer.
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const weightData = new ArrayBuffer(total);
  const view = new Uint8Array(weightData);
  let offset = 0;
  for (const s of shards) {
    view.set(s, offset);
    offset += s.byteLength;
  }
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData,
    ...(json.format !== undefined && { format: json.format }),
    ...(json.generatedBy !== undefined && { generatedBy: json.generatedBy }),
    ...(json.convertedBy !== undefined && { convertedBy: json.convertedBy }),
    ...(json.signature !== undefined && { signature: json.signature as object }),
    ...(json.userDefinedMetadata !== undefined && { userDefinedMetadata: json.userDefinedMetadata }),
    ...(json.modelInitializer !== undefined && { modelInitializer: json.modelInitializer as object }),
  };
  const handler: tf.io.IOHandler = { load: () => Promise.resolve(artifacts) };
  try {
    return await loadGraphModel(handler);
  } catch (cause) {
    throw new AnalyticsError('SW_EDGE_MODEL_INVALID', `${modelJsonPath}: graph model did not load`, { cause });
  }
}
