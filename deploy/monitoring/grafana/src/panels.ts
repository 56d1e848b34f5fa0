/**
 * Small builders for Grafana dashboards, typed with @grafana/schema (types only: nothing of it is
 * loaded at run time but two enums). Dashboards are written in TypeScript so tsc checks their shape, panel ids
 * and grid positions are computed, and every query names the one provisioned datasource.
 * `build.ts` writes the JSON that Grafana provisions; a test fails when the JSON is stale.
 */
import { MappingType, ThresholdsMode } from '@grafana/schema';
import type { Dashboard, DataSourceRef, FieldConfigSource, Panel, RowPanel, ValueMapping, VariableModel } from '@grafana/schema';

/** The uid in ../provisioning/datasources/prometheus.yml. */
export const DATASOURCE_UID = 'streetwatch-prometheus';
export const DS: DataSourceRef = { type: 'prometheus', uid: DATASOURCE_UID };

export interface Query {
  expr: string;
  legend?: string;
  /** Instant query shown as a table (tables, stats of the current value). */
  instant?: boolean;
}

export type Unit = 'short' | 'ops' | 's' | 'ms' | 'bytes' | 'percentunit' | 'none' | 'fps';

interface Common {
  title: string;
  description?: string;
  queries: Query[];
  unit?: Unit;
  /** Grid width (of 24) and height; defaults 12 x 8. */
  w?: number;
  h?: number;
}

export interface TimeseriesSpec extends Common {
  kind: 'timeseries';
  stack?: boolean;
  min?: number;
}
export interface StatSpec extends Common {
  kind: 'stat';
  /** [value, color] steps after the base colour, e.g. [[1, 'red']]. */
  thresholds?: Array<[number, string]>;
  base?: string;
  mappings?: Record<string, { text: string; color: string }>;
}
export interface TableSpec extends Common {
  kind: 'table';
  /** Column renames (after merging the instant queries by their labels). */
  rename?: Record<string, string>;
  hide?: string[];
  mappings?: Record<string, { text: string; color: string }>;
}
export interface StateTimelineSpec extends Common {
  kind: 'state-timeline';
  mappings: Record<string, { text: string; color: string }>;
}
export interface BarGaugeSpec extends Common {
  kind: 'bargauge';
}
export interface RowSpec {
  kind: 'row';
  title: string;
}
export type PanelSpec = TimeseriesSpec | StatSpec | TableSpec | StateTimelineSpec | BarGaugeSpec | RowSpec;

const REF_IDS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function targets(queries: Query[]): Array<Record<string, unknown>> {
  return queries.map((q, i) => ({
    refId: REF_IDS[i] ?? `Q${i}`,
    datasource: DS,
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: !q.instant,
    instant: q.instant === true,
    ...(q.instant ? { format: 'table' } : {}),
  }));
}

function valueMappings(m: Record<string, { text: string; color: string }> | undefined): ValueMapping[] {
  if (!m) return [];
  const options: Record<string, { text: string; color: string; index: number }> = {};
  Object.entries(m).forEach(([value, v], index) => (options[value] = { ...v, index }));
  return [{ type: MappingType.ValueToText, options }];
}

function fieldConfig(spec: Exclude<PanelSpec, RowSpec>, custom: Record<string, unknown> = {}): FieldConfigSource {
  const steps: Array<{ value: number | null; color: string }> = [{ value: null, color: spec.kind === 'stat' ? (spec.base ?? 'green') : 'green' }];
  if (spec.kind === 'stat') for (const [value, color] of spec.thresholds ?? []) steps.push({ value, color });
  const mappings = 'mappings' in spec ? valueMappings(spec.mappings) : [];
  return {
    defaults: {
      unit: spec.unit ?? 'short',
      ...(spec.kind === 'timeseries' && spec.min !== undefined ? { min: spec.min } : {}),
      thresholds: { mode: ThresholdsMode.Absolute, steps },
      mappings,
      custom,
    },
    overrides: [],
  };
}

function panel(spec: Exclude<PanelSpec, RowSpec>, id: number, gridPos: { x: number; y: number; w: number; h: number }): Panel {
  const base = {
    id,
    title: spec.title,
    ...(spec.description ? { description: spec.description } : {}),
    datasource: DS,
    gridPos,
    targets: targets(spec.queries),
  };
  switch (spec.kind) {
    case 'timeseries':
      return {
        ...base,
        type: 'timeseries',
        fieldConfig: fieldConfig(spec, {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: spec.stack ? 30 : 10,
          showPoints: 'never',
          stacking: { mode: spec.stack ? 'normal' : 'none', group: 'A' },
        }),
        options: { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
      };
    case 'stat':
      return {
        ...base,
        type: 'stat',
        fieldConfig: fieldConfig(spec),
        options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'background', graphMode: 'area', textMode: 'auto', justifyMode: 'auto', orientation: 'auto' },
      };
    case 'bargauge':
      return {
        ...base,
        type: 'bargauge',
        fieldConfig: fieldConfig(spec),
        options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, orientation: 'horizontal', displayMode: 'gradient', showUnfilled: true },
      };
    case 'state-timeline':
      return {
        ...base,
        type: 'state-timeline',
        fieldConfig: fieldConfig(spec, { fillOpacity: 80, lineWidth: 0 }),
        options: { showValue: 'never', mergeValues: true, rowHeight: 0.9, alignValue: 'left', legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
      };
    case 'table':
      return {
        ...base,
        type: 'table',
        fieldConfig: fieldConfig(spec, { align: 'auto', cellOptions: { type: spec.mappings ? 'color-background' : 'auto' } }),
        options: { showHeader: true, cellHeight: 'sm', footer: { show: false, reducer: ['sum'], fields: '' } },
        transformations: [
          { id: 'merge', options: {} },
          {
            id: 'organize',
            options: {
              excludeByName: Object.fromEntries(['Time', '__name__', 'job', 'service', ...(spec.hide ?? [])].map((k) => [k, true])),
              renameByName: spec.rename ?? {},
              indexByName: {},
            },
          },
        ],
      };
  }
}

/** Lays panels out left to right in rows of 24 units; a row header starts a new line. */
export function layout(specs: PanelSpec[]): Array<Panel | RowPanel> {
  const out: Array<Panel | RowPanel> = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let id = 1;
  for (const spec of specs) {
    if (spec.kind === 'row') {
      if (x > 0) y += lineHeight;
      out.push({ id: id++, type: 'row', title: spec.title, collapsed: false, panels: [], gridPos: { x: 0, y, w: 24, h: 1 } });
      y += 1;
      x = 0;
      lineHeight = 0;
      continue;
    }
    const w = spec.w ?? 12;
    const h = spec.h ?? 8;
    if (x + w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    out.push(panel(spec, id++, { x, y, w, h }));
    x += w;
    lineHeight = Math.max(lineHeight, h);
  }
  return out;
}

/** A query variable over a label, e.g. instance of one job. */
export function labelVariable(name: string, label: string, query: string, opts: { all?: boolean; multi?: boolean } = {}): VariableModel {
  return {
    name,
    label,
    type: 'query',
    datasource: DS,
    query: { query, refId: 'StandardVariableQuery' },
    refresh: 2,
    sort: 1,
    includeAll: opts.all ?? true,
    multi: opts.multi ?? true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    hide: 0,
    options: [],
    regex: '',
    skipUrlSync: false,
  };
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables?: VariableModel[];
  panels: PanelSpec[];
  links?: boolean;
}

export function dashboard(spec: DashboardSpec): Dashboard {
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ['streetwatch', ...spec.tags],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [{ title: 'Streetwatch', type: 'dashboards', tags: ['streetwatch'], asDropdown: true, includeVars: false, keepTime: true, icon: 'external link', targetBlank: false, tooltip: '', url: '' }],
    annotations: { list: [] },
    templating: { list: spec.variables ?? [] },
    panels: layout(spec.panels),
  };
}
