import type { DetectionEvent } from '@streetwatch/schemas';
import type { Filters } from '../config/schema.js';

export type EventFilter = (e: DetectionEvent) => boolean;

/** A predicate over detection events; absent lists match everything. */
export function compileFilter(f: Filters): EventFilter {
  const types = f.types ? new Set<string>(f.types) : undefined;
  const cameras = f.cameraIds ? new Set(f.cameraIds) : undefined;
  const zones = f.zoneIds ? new Set(f.zoneIds) : undefined;
  const grids = f.gridIds ? new Set(f.gridIds) : undefined;
  const communities = f.communityIds ? new Set(f.communityIds) : undefined;
  const shops = f.shopIds ? new Set(f.shopIds) : undefined;
  return (e) =>
    (!types || types.has(e.type)) &&
    (!cameras || cameras.has(e.cameraId)) &&
    (!zones || zones.has(e.zoneId)) &&
    (!grids || (e.gridId !== undefined && grids.has(e.gridId))) &&
    (!communities || (e.communityId !== undefined && communities.has(e.communityId))) &&
    (!shops || (e.shopId !== undefined && shops.has(e.shopId)));
}

/** Inspections only carry a shop: a score rule takes them when its shop filter (if any) allows. */
export function compileShopFilter(f: Filters): (shopId: string) => boolean {
  const shops = f.shopIds ? new Set(f.shopIds) : undefined;
  return (shopId) => !shops || shops.has(shopId);
}
