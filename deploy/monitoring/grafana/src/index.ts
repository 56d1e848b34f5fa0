/** Every provisioned dashboard, by the JSON file name it is written to (../dashboards/<name>.json). */
import type { Dashboard } from '@grafana/schema';
import { alertRouter } from './alert-router.js';
import { edgeGateway } from './edge-gateway.js';
import { pipelineOverview } from './pipeline-overview.js';
import { streamProcessor } from './stream-processor.js';

export { DATASOURCE_UID } from './panels.js';

export const DASHBOARDS: Readonly<Record<string, Dashboard>> = {
  'pipeline-overview': pipelineOverview,
  'edge-gateway': edgeGateway,
  'stream-processor': streamProcessor,
  'alert-router': alertRouter,
};

/** The exact text of a dashboard's JSON file (2-space indent, trailing newline). */
export function dashboardJson(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
