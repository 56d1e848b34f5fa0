/**
 * Writes ../dashboards/<name>.json from the TypeScript dashboards (run after editing them):
 *   npm run -w deploy dashboards
 * deploy/test/grafana.test.ts fails when a JSON file differs from what this would write.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DASHBOARDS, dashboardJson } from './index.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');
for (const [name, d] of Object.entries(DASHBOARDS)) {
  writeFileSync(join(out, `${name}.json`), dashboardJson(d));
  process.stdout.write(`wrote ${join(out, `${name}.json`)}\n`);
}
