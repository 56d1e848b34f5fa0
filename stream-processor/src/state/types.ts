/**
 * The engine's slots and clock roles: here, below engine.ts and snapshot.ts, which both use them
 * (the engine imports the snapshot codec, so the codec cannot import the engine back).
 */
import type { CountSpec, DwellSpec, ScoreSpec } from '../config/load.js';
import type { CountState } from '../rules/count.js';
import type { DwellState } from '../rules/dwell.js';
import type { ScoreState } from '../rules/score.js';

/** The inputs of a task that drive event time. */
export type ClockRole = 'detections' | 'shop' | 'inspections';

export type RuleSlot =
  | { spec: CountSpec; state: CountState }
  | { spec: DwellSpec; state: DwellState }
  | { spec: ScoreSpec; state: ScoreState };
