import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { nativeApi } from './backend.js';
import type { ModelRunner } from './centernet.js';
import type { DetectorConfig } from './config.js';
import { AnalyticsError } from './errors.js';
import { loadGraphModelFromFiles } from './model-loader.js';

/** How the model runs: `graph` = one TensorFlow session over the whole SavedModel; `ops` = TF.js executes the graph model op by op. */
export type Execution = 'graph' | 'ops';

/** The output node of the detection model (centernet). */
const OUTPUT = 'tower_0/detections';

export function savedModelPath(config: DetectorConfig): string {
  return config.savedModelDir ?? join(config.modelDir, `${config.model}.savedmodel`);
}

/**
 * Load the model the way `config.execution` asks, on the backend already chosen:
 * graph (SavedModel, tensorflow only) when asked or, under `auto`, when the SavedModel is there;
 * else the TF.js graph model, op by op. Both give the same detections (tested).
 */
export async function loadRunner(config: DetectorConfig, backend: string): Promise<{ runner: ModelRunner; execution: Execution; why?: string }> {
  const dir = savedModelPath(config);
  if (config.execution !== 'ops') {
    const api = backend === 'tensorflow' ? nativeApi() : undefined;
    const present = await stat(join(dir, 'saved_model.pb')).then(
      () => true,
      () => false,
    );
    if (api !== undefined && present) {
      let model;
      try {
        model = await api.loadSavedModel(dir, ['serve'], 'serving_default');
      } catch (cause) {
        throw new AnalyticsError('SW_EDGE_MODEL_INVALID', `${dir}: SavedModel did not load`, { cause });
      }
      const m = model;
      return {
        execution: 'graph',
        runner: {
          execute: (input) => {
            const out = m.predict(input);
            if (out instanceof tf.Tensor) return out;
            const t = Array.isArray(out) ? out[0] : out.detections;
            if (t === undefined) throw new AnalyticsError('SW_EDGE_MODEL_INVALID', `${dir}: no 'detections' output`);
            return t;
          },
          dispose: () => m.dispose(),
        },
      };
    }
    const why = api === undefined ? `backend ${backend} runs graph models op by op only` : `no SavedModel at ${dir} (scripts/convert-savedmodel.sh makes it)`;
    if (config.execution === 'graph') throw new AnalyticsError('SW_EDGE_DETECTOR_BACKEND', `execution 'graph' requested: ${why}`);
    const gm = await loadGraphModelFromFiles(join(config.modelDir, `${config.model}.json`));
    return { execution: 'ops', why, runner: { execute: (input) => gm.execute(input, OUTPUT) as tf.Tensor, dispose: () => gm.dispose() } };
  }
  const gm = await loadGraphModelFromFiles(join(config.modelDir, `${config.model}.json`));
  return { execution: 'ops', why: 'execution: ops', runner: { execute: (input) => gm.execute(input, OUTPUT) as tf.Tensor, dispose: () => gm.dispose() } };
}
