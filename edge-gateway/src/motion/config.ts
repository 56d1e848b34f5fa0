import { Type, type Static } from '@sinclair/typebox';

export const MotionConfigSchema = Type.Object(
  {
    width: Type.Integer({ minimum: 16, maximum: 640, default: 160, description: 'analysis width (grey, area-averaged)' }),
    height: Type.Integer({ minimum: 16, maximum: 480, default: 90 }),
    pixelThreshold: Type.Number({ minimum: 1, maximum: 255, default: 18, description: 'grey-level difference that marks a pixel as changed' }),
    minMotionFraction: Type.Number({ minimum: 0, maximum: 1, default: 0.003, description: 'share of changed pixels that counts as motion' }),
    backgroundTauSeconds: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'time constant of the motion background running average' }),
    maxIdleSeconds: Type.Number({ exclusiveMinimum: 0, default: 10, description: 'run the detector at least this often without motion' }),
  },
  { additionalProperties: false },
);
export type MotionConfig = Static<typeof MotionConfigSchema>;

export const StaticObjectConfigSchema = Type.Object(
  {
    fastTauSeconds: Type.Number({ exclusiveMinimum: 0, default: 5, description: 'short-term background: absorbs anything that stopped moving' }),
    slowTauSeconds: Type.Number({ exclusiveMinimum: 0, default: 600, description: 'long-term background: follows slow lighting change' }),
    absorbTauSeconds: Type.Number({
      exclusiveMinimum: 0,
      default: 3600,
      description: 'long-term update rate under a static blob: how slowly a left object is forgotten',
    }),
    pixelThreshold: Type.Number({ minimum: 1, maximum: 255, default: 25 }),
    confirmSeconds: Type.Number({
      minimum: 0,
      default: 8,
      description: 'a pixel must stay static this long before it joins a blob (an object moving through never does)',
    }),
    minBlobArea: Type.Number({ minimum: 0, maximum: 1, default: 0.002, description: 'smallest blob, as a share of the frame' }),
    maxStaticFraction: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.35,
      description: 'above this share of static pixels the scene changed globally (lighting, camera moved): relearn',
    }),
    blobMatchIou: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'IoU that keeps a blob id from frame to frame' }),
    initSeconds: Type.Number({
      minimum: 0,
      default: 6,
      description: 'the long-term background starts as the per-pixel median of frames over this many seconds (nothing is reported before)',
    }),
    sameObjectSeconds: Type.Number({
      minimum: 0,
      default: 3,
      description: 'pixels (and blobs across frames) are one object only when they appeared within this many seconds of each other',
    }),
    blobMemorySeconds: Type.Number({ minimum: 0, default: 20, description: 'a blob unseen this long (occluded) keeps its id and start time' }),
    minEdgeEvidence: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.45,
      description: 'a new blob whose share of new outline edges (vs the old background) is below this is uncovered background (a ghost): absorbed, not reported',
    }),
    maxTextureCorrelation: Type.Number({
      minimum: -1,
      maximum: 1,
      default: 0.9,
      description:
        'a new blob whose pixels correlate with the old background this much is the same surface under another light (a cloud edge, a clipped highlight): absorbed, not reported',
    }),
  },
  { additionalProperties: false },
);
export type StaticObjectConfig = Static<typeof StaticObjectConfigSchema>;
