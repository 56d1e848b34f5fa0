import type { BBox, Frame } from '../frame.js';
import type { BackendInfo } from './backend.js';

/** One detected object. `bbox` is in normalized frame coordinates. */
export interface Detection {
  readonly bbox: BBox;
  readonly score: number;
  /** Class id in the model's label space (COCO-80, 0-based). */
  readonly classId: number;
  /** Class name in the model's label space (`'dining table'`). */
  readonly className: string;
  /** streetwatch object class after the class map (`'dining_table'`). */
  readonly objectClass: string;
}

/** Detector plug-in interface, selected by the config's `type` key. */
export interface Detector {
  /** Initialise the backend and load the model. Idempotent. */
  load(): Promise<void>;
  /** Detect objects in one frame. */
  detect(frame: Frame): Promise<Detection[]>;
  /** The TF.js backend and execution chosen at load (undefined before, or for a detector without one). */
  readonly backend?: BackendInfo | undefined;
  /** Release the model's tensors. Idempotent. */
  close(): Promise<void>;
}
