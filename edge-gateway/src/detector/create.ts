import type { DetectorConfig } from './config.js';
import { TfjsGraphDetector, type DetectorDeps } from './tfjs-graph.js';
import type { Detector } from './types.js';

/** Select the detector implementation by the config's `type` key. */
export function createDetector(config: DetectorConfig, deps: DetectorDeps = {}): Detector {
  switch (config.type) {
    case 'tfjs-graph':
      return new TfjsGraphDetector(config, deps);
  }
}
