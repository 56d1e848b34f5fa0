/**
 * Cross-references the schema cannot express: every channel a route, department or fallback names
 * exists; every department a route names exists; the work-order half's departments
 * (`workOrders.departments`, which add escalation chains) are the routing config's departments, by
 * id and name; fallback chains have no cycle; retention periods are long enough. Problems are
 * reported by key path, like schema errors.
 */
import { ConfigError } from '@streetwatch/platform';
import { checkLiveReferences } from '../live/config.js';
import { ms } from './durations.js';
import type { Route, RouterConfig } from './schema.js';

export function checkReferences(cfg: RouterConfig, source = 'config'): void {
  const errors: Array<{ path: string; message: string }> = [];
  const channel = (path: string, name: string): void => {
    if (!cfg.channels[name]) errors.push({ path, message: `unknown channel "${name}"` });
  };
  for (const [id, d] of Object.entries(cfg.departments)) {
    d.channels.forEach((c, i) => channel(`/departments/${id}/channels/${i}`, c));
    for (const [t, target] of Object.entries(d.targets ?? {})) target?.channels.forEach((c, i) => channel(`/departments/${id}/targets/${t}/channels/${i}`, c));
  }
  const walk = (r: Route, path: string): void => {
    r.departments?.forEach((d, i) => {
      if (!cfg.departments[d]) errors.push({ path: `${path}/departments/${i}`, message: `unknown department "${d}"` });
    });
    r.channels?.forEach((c, i) => channel(`${path}/channels/${i}`, c));
    r.routes?.forEach((c, i) => walk(c, `${path}/routes/${i}`));
  };
  walk(cfg.routing.route, '/routing/route');
  errors.push(...departmentProblems(cfg));
  for (const [name, c] of Object.entries(cfg.channels)) {
    if (c.fallback === undefined) continue;
    channel(`/channels/${name}/fallback`, c.fallback);
    const seen = new Set([name]);
    let cur = cfg.channels[c.fallback];
    let at = c.fallback;
    while (cur) {
      if (seen.has(at)) {
        errors.push({ path: `/channels/${name}/fallback`, message: `fallback chain loops back to "${at}"` });
        break;
      }
      seen.add(at);
      if (cur.fallback === undefined) break;
      at = cur.fallback;
      cur = cfg.channels[at];
    }
  }
  errors.push(...retentionProblems(cfg));
  if (cfg.live) {
    const known = new Set([...Object.keys(cfg.departments), ...(cfg.workOrders?.departments ?? []).map((d) => d.id), ...(cfg.workOrders?.users ?? []).map((u) => u.departmentId)]);
    checkLiveReferences(cfg.live, known, errors);
  }
  if (errors.length > 0) throw new ConfigError('SW_CONFIG_INVALID', source, errors);
}

const HOUR = 3_600_000;

/**
 * A department is declared under `departments` (who is told, by which channels) and again under
 * `workOrders.departments` (its escalation chain, and its name on the console and the screen):
 * both must name the same department the same way. Each problem names both paths.
 */
function departmentProblems(cfg: RouterConfig): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  cfg.workOrders?.departments.forEach((d, i) => {
    const routed = cfg.departments[d.id];
    if (!routed) {
      out.push({ path: `/workOrders/departments/${i}/id`, message: `"${d.id}" is not under departments (departments.${d.id}): declare it there too, or fix the id` });
    } else if (routed.name !== d.name) {
      out.push({ path: `/workOrders/departments/${i}/name`, message: `"${d.name}" differs from departments.${d.id}.name "${routed.name}": one department, one name` });
    }
  });
  return out;
}

/** Retention settings the schema cannot check: floors, and the dedup window against resolveTimeout. */
function retentionProblems(cfg: RouterConfig): Array<{ path: string; message: string }> {
  const r = cfg.retention;
  const out: Array<{ path: string; message: string }> = [];
  if (ms(r.interval) < 1000) out.push({ path: '/retention/interval', message: 'must be at least 1s' });
  for (const key of ['alerts', 'deliveries', 'silences', 'audit', 'workOrders', 'violationEnds'] as const) {
    const v = r[key];
    if (v !== 'forever' && ms(v) < HOUR) out.push({ path: `/retention/${key}`, message: 'must be at least 1h (or forever)' });
  }
  if (r.alerts !== 'forever' && ms(r.alerts) <= ms(cfg.delivery.resolveTimeout)) {
    out.push({
      path: '/retention/alerts',
      message: `must be longer than delivery.resolveTimeout (${cfg.delivery.resolveTimeout}): active alerts are re-notified from these rows`,
    });
  }
  return out;
}
