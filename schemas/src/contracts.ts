import type { Static, TSchema } from '@sinclair/typebox';
import { Alert, InspectionRecord, ShopScoreChange } from './messages/alert.js';
import { CameraHealth, DetectionEvent } from './messages/detection.js';
import { FlowCount } from './messages/flow.js';
import { DeadLetter, Delivery, DepartmentNotice, WorkOrderEvent } from './messages/workorder.js';

/** Every message contract, by name. The name is the schema's `$id` and the AsyncAPI message name. */
export const CONTRACTS = {
  DetectionEvent,
  CameraHealth,
  FlowCount,
  Alert,
  InspectionRecord,
  ShopScoreChange,
  Delivery,
  WorkOrderEvent,
  DepartmentNotice,
  DeadLetter,
} as const;

export type ContractName = keyof typeof CONTRACTS;
export type ContractOf<N extends ContractName> = Static<(typeof CONTRACTS)[N]>;
export const CONTRACT_NAMES = Object.keys(CONTRACTS) as ContractName[];

export function contractSchema(name: ContractName): TSchema {
  return CONTRACTS[name];
}
