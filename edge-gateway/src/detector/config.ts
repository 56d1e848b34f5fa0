import { availableParallelism } from 'node:os';
import { Type, type Static } from '@sinclair/typebox';
import { DEFAULT_CLASS_MAP } from './coco.js';

/** One detector thread per core (at most 4): an inference keeps one core busy, so this is what a box can run at once. */
export const DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism()));

export const DetectorConfigSchema = Type.Object(
  {
    type: Type.Literal('tfjs-graph', { default: 'tfjs-graph' }),
    model: Type.Literal('centernet', { default: 'centernet', description: 'graph model name (file <model>.json in modelDir)' }),
    modelDir: Type.String({ minLength: 1, description: 'folder holding <model>.json and its weights (scripts/fetch-model.sh prints it)' }),
    backend: Type.Union([Type.Literal('auto'), Type.Literal('tensorflow'), Type.Literal('wasm')], {
      default: 'auto',
      description: 'auto: the native package (tfjs-node) when installed and loads, else wasm',
    }),
    nativePackage: Type.Union([Type.Literal('@tensorflow/tfjs-node'), Type.Literal('@tensorflow/tfjs-node-gpu')], {
      default: '@tensorflow/tfjs-node',
      description: 'the native backend package (both register the backend `tensorflow`); -gpu needs a CUDA build of it on the box',
    }),
    execution: Type.Union([Type.Literal('auto'), Type.Literal('graph'), Type.Literal('ops')], {
      default: 'auto',
      description:
        'on the tensorflow backend: graph = run the model as a TensorFlow SavedModel (scripts/convert-savedmodel.sh; one session, optimised by TensorFlow), ops = op by op; auto = graph when the SavedModel is there, else ops. wasm always runs op by op',
    }),
    savedModelDir: Type.Optional(Type.String({ minLength: 1, description: 'the SavedModel (default: <modelDir>/<model>.savedmodel)' })),
    nativeThreads: Type.Integer({
      minimum: 0,
      maximum: 64,
      default: 1,
      description:
        'tensorflow backend: intra-op threads per inference (TF_NUM_INTRAOP_THREADS, process-wide, set before the first load unless the environment sets it). 1 is the least CPU per frame; use workers for more cores. 0: one per core',
    }),
    inputSize: Type.Integer({ minimum: 64, maximum: 1024, default: 512, description: 'square model input (frames are stretched)' }),
    scoreThreshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.2,
      description: 'lowest score returned; keep below the tracker high threshold so its second pass sees low-score boxes',
    }),
    maxDetections: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    nmsIouThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'suppress a lower-score box overlapping a kept one of the same class/group by more than this IoU' }),
    nmsGroups: Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 2 }), {
      default: [['car', 'truck', 'bus']],
      description: 'object classes that suppress each other (one vehicle seen as car and truck)',
    }),
    workers: Type.Integer({
      minimum: 0,
      maximum: 8,
      default: DEFAULT_WORKERS,
      description:
        'inference threads (worker_threads), each with its own copy of the model; frames reach them through shared memory. Default: one per core, at most 4 (each inference uses one core: nativeThreads 1, wasm single-threaded). 0 = infer on the main thread (blocks the event loop for every camera: benches and debugging only)',
    }),
    workerTimeoutMs: Type.Integer({
      minimum: 1000,
      maximum: 600_000,
      default: 30_000,
      description: 'an inference running longer than this counts as a hung worker: it is terminated and restarted',
    }),
    nativeOneDnn: Type.Boolean({
      default: true,
      description:
        "tensorflow backend: TensorFlow's oneDNN fp32 kernels (TF_ENABLE_ONEDNN_OPTS, process-wide unless the environment sets it): less CPU per frame than its Eigen kernels, the same detections up to float round-off",
    }),
    classMap: Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 64 }), {
      default: DEFAULT_CLASS_MAP,
      description: 'model class name -> streetwatch object class; unmapped classes are dropped',
    }),
  },
  { additionalProperties: false },
);

export type DetectorConfig = Static<typeof DetectorConfigSchema>;
