import { Type, type Static } from '@sinclair/typebox';

/**
 * Tamper detection: the camera's view against its learned reference (see detector.ts). Thresholds
 * are ratios to the reference, so they hold for any scene; times are on the frames' clock.
 */
export const TamperConfigSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    learnSeconds: Type.Number({ exclusiveMinimum: 0, maximum: 86_400, default: 30, description: 'frames of this long a time build the first reference' }),
    dwellSeconds: Type.Number({
      minimum: 0,
      maximum: 86_400,
      default: 60,
      description: 'the view must stay wrong this long before it counts (a bus stopping in front, a headlight, rain on the lens for a moment do not)',
    }),
    clearSeconds: Type.Number({ minimum: 0, maximum: 86_400, default: 20, description: 'the view must be right again this long to be restored' }),
    adaptSeconds: Type.Number({
      exclusiveMinimum: 0,
      default: 900,
      description: 'time constant of the reference following slow change (dusk, shadows, seasons) while the view is right',
    }),
    coverEdgeRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.3, description: 'covered: edge density below this share of the reference ...' }),
    coverContrastRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.35, description: '... and contrast (std/mean) below this share' }),
    blurEdgeRatio: Type.Number({ minimum: 0, maximum: 1, default: 0.45, description: 'blurred (defocused, sprayed): edge density below this share' }),
    moveMatch: Type.Number({
      minimum: -1,
      maximum: 1,
      default: 0.3,
      description: 'moved: correlation of the edge map with the reference below this (with edges still there)',
    }),
  },
  { additionalProperties: false },
);
export type TamperConfig = Static<typeof TamperConfigSchema>;
