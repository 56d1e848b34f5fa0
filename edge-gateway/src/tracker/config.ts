import { Type, type Static } from '@sinclair/typebox';

export const TrackerConfigSchema = Type.Object(
  {
    highScore: Type.Number({ minimum: 0, maximum: 1, default: 0.4, description: 'first-pass detections; only these start tracks' }),
    lowScore: Type.Number({ minimum: 0, maximum: 1, default: 0.15, description: 'second-pass (ByteTrack) detections: only extend existing tracks' }),
    matchIou: Type.Number({ minimum: 0, maximum: 1, default: 0.2, description: 'first pass: minimum IoU of predicted track box and detection' }),
    secondMatchIou: Type.Number({ minimum: 0, maximum: 1, default: 0.4, description: 'second pass: minimum IoU for a low-score detection' }),
    minHits: Type.Integer({ minimum: 1, default: 2, description: 'matches before a tentative track is confirmed' }),
    lostMemorySeconds: Type.Number({ minimum: 0, default: 15, description: 'an unseen track keeps its id, dwell and stationary state this long' }),
    stationaryWindowSeconds: Type.Number({ exclusiveMinimum: 0, default: 10, description: 'centre must stay put this long to be stationary' }),
    stationaryMaxDisplacement: Type.Number({
      exclusiveMinimum: 0,
      default: 0.02,
      description: 'largest centre displacement (normalized units) that still counts as not moving',
    }),
    stationaryBreakSeconds: Type.Number({
      minimum: 0,
      default: 3,
      description:
        'a stationary track counts as moving only once its centre has been off its spot this long (a vehicle passing in front, a shaking camera, one bad box do not restart its dwell)',
    }),
    classGroups: Type.Array(Type.Array(Type.String({ minLength: 1 }), { minItems: 2 }), {
      default: [['car', 'truck', 'bus']],
      description: 'classes that may match each other (the detector flips between them); other class pairs never match',
    }),
    measurementNoise: Type.Number({ exclusiveMinimum: 0, default: 0.05, description: 'Kalman measurement std, share of box size' }),
    accelerationNoise: Type.Number({ exclusiveMinimum: 0, default: 0.5, description: 'Kalman acceleration std, box sizes / s^2' }),
  },
  { additionalProperties: false },
);
export type TrackerConfig = Static<typeof TrackerConfigSchema>;
