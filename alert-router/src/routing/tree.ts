/**
 * The routing tree (Alertmanager semantics): the root matches every alert; an alert descends into
 * the first child whose matcher holds (and further siblings when that child has `continue`); a
 * node with no matching child is itself the match. Settings (departments, channels, grouping)
 * inherit from the parent.
 */
import type { Alert } from '@streetwatch/schemas';
import { ms } from '../config/durations.js';
import type { Route } from '../config/schema.js';
import { compileMatcher, fieldKey, type CompiledMatcher } from './match.js';

export interface GroupSettings {
  readonly groupBy: readonly string[];
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
}

export interface RouteMatch extends GroupSettings {
  /** Path of route names/indices from the root, e.g. `root/parking/1`. */
  readonly route: string;
  readonly departments: readonly string[];
  /** undefined: each department's own channels. */
  readonly channels: readonly string[] | undefined;
}

interface Node extends GroupSettings {
  readonly path: string;
  readonly matcher: CompiledMatcher;
  readonly departments: readonly string[];
  readonly channels: readonly string[] | undefined;
  readonly cont: boolean;
  readonly children: readonly Node[];
}

export const DEFAULT_GROUPING: GroupSettings = {
  groupBy: ['alertId'],
  groupWaitMs: 0,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
};

export class RoutingTree {
  private readonly root: Node;

  constructor(route: Route) {
    this.root = compile(route, 'root', undefined, true);
  }

  /** Every leaf-most matching route for the alert at time `now` (never empty: the root matches). */
  match(alert: Alert, now: number): RouteMatch[] {
    const out: RouteMatch[] = [];
    walk(this.root, alert, now, out);
    return out;
  }

  /** The notification group an alert falls into under a route. */
  static groupKey(m: RouteMatch, departmentId: string, alert: Alert): { key: string; labels: Record<string, string> } {
    const labels: Record<string, string> = {};
    for (const f of m.groupBy) labels[f] = fieldKey(alert, f);
    const key = `${m.route}|${departmentId}|${m.groupBy.map((f) => `${f}=${labels[f]}`).join(',')}`;
    return { key, labels };
  }
}

function compile(r: Route, path: string, parent: Node | undefined, isRoot: boolean): Node {
  const base: GroupSettings & { departments: readonly string[]; channels: readonly string[] | undefined } = parent ?? {
    ...DEFAULT_GROUPING,
    departments: [],
    channels: undefined,
  };
  const node: Node = {
    path,
    matcher: isRoot ? () => true : compileMatcher(r.match),
    departments: r.departments ?? base.departments,
    channels: r.channels ?? base.channels,
    cont: r.continue ?? false,
    groupBy: r.groupBy ?? base.groupBy,
    groupWaitMs: r.groupWait !== undefined ? ms(r.groupWait) : base.groupWaitMs,
    groupIntervalMs: r.groupInterval !== undefined ? ms(r.groupInterval) : base.groupIntervalMs,
    repeatIntervalMs: r.repeatInterval !== undefined ? ms(r.repeatInterval) : base.repeatIntervalMs,
    children: [],
  };
  const children = (r.routes ?? []).map((c, i) => compile(c, `${path}/${c.name ?? i}`, node, false));
  return { ...node, children };
}

function walk(node: Node, alert: Alert, now: number, out: RouteMatch[]): void {
  let matchedChild = false;
  for (const c of node.children) {
    if (!c.matcher(alert, now)) continue;
    matchedChild = true;
    walk(c, alert, now, out);
    if (!c.cont) break;
  }
  if (!matchedChild) {
    out.push({
      route: node.path,
      departments: node.departments,
      channels: node.channels,
      groupBy: node.groupBy,
      groupWaitMs: node.groupWaitMs,
      groupIntervalMs: node.groupIntervalMs,
      repeatIntervalMs: node.repeatIntervalMs,
    });
  }
}
