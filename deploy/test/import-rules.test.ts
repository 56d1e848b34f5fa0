// The import rules in .dependency-cruiser.cjs (`npm run lint:imports`, in `npm run lint` and in
// scripts/test.sh's lint step) catch what they are for. One scratch tree laid out like the
// repository holds one deliberate fault per rule next to imports that are allowed; the real
// depcruise runs over it once with the repository's rules, and each subtest reads its part.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const FILES: Record<string, string> = {
  // A circle of type-only imports (what eslint-plugin-import-x's no-cycle skips).
  'stream-processor/src/state/engine.ts': "import type { Slot } from './snapshot.js';\nexport type Role = 'a' | 'b';\nexport const slots: Slot[] = [];\n",
  'stream-processor/src/state/snapshot.ts': "import type { Role } from './engine.js';\nexport interface Slot { role: Role }\n",
  // The same shape with the shared type moved down: no circle.
  'stream-processor/src/rules/types.ts': "export type Kind = 'a' | 'b';\n",
  'stream-processor/src/rules/count.ts': "import type { Spec } from './spec.js';\nexport const specs: Spec[] = [];\n",
  'stream-processor/src/rules/spec.ts': "import type { Kind } from './types.js';\nexport interface Spec { kind: Kind }\n",
  // Router: delivery -> channels runs with the flow; channels -> delivery (type-only) runs back.
  'alert-router/src/delivery/engine.ts': "import { send } from '../channels/http.js';\nexport const go = send;\n",
  'alert-router/src/channels/http.ts': "import type { Row } from '../delivery/store.js';\nexport function send(r: Row): string { return r.key; }\n",
  'alert-router/src/delivery/store.ts': 'export interface Row { key: string }\n',
  // Work orders reaching up into the console.
  'alert-router/src/workorders/service.ts': "import { hub } from '../console/feed.js';\nimport type { Notifier } from '../seams.js';\nexport const h: Notifier | number = hub;\n",
  'alert-router/src/console/feed.ts': 'export const hub = 1;\n',
  'alert-router/src/seams.ts': 'export interface Notifier { notify(): void }\n',
  // The config layer composes a stage's own section (allowed), and reaches into routing (not).
  'alert-router/src/config/schema.ts': "import { Section } from '../workorders/config.js';\nimport { x } from '../routing/tree.js';\nexport const all = [Section, x];\n",
  'alert-router/src/workorders/config.ts': 'export const Section = 1;\n',
  'alert-router/src/routing/tree.ts': 'export const x = 1;\n',
  // Delivery reaching into the work-order half beside it (they meet at seams.ts only).
  'alert-router/src/delivery/notifier.ts': "import { chain } from '../workorders/deadlines.js';\nexport const n = chain;\n",
  'alert-router/src/workorders/deadlines.ts': 'export const chain = 1;\n',
};

async function cruise(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-imports-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(REPO, 'tsconfig.base.json'), join(dir, 'tsconfig.base.json'));
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const args = ['--config', join(REPO, '.dependency-cruiser.cjs'), '--output-type', 'json', 'alert-router/src', 'stream-processor/src'];
  // depcruise exits non-zero when it finds errors; its JSON report is on stdout either way.
  const stdout = await run(join(REPO, 'node_modules/.bin/depcruise'), args, { cwd: dir, maxBuffer: 16 << 20 }).then(
    (r) => r.stdout,
    (e: { stdout?: string; stderr?: string }) => {
      if (!e.stdout) throw new Error(`depcruise printed no report: ${e.stderr ?? ''}`);
      return e.stdout;
    },
  );
  const report = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> } };
  return report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

const found = cruise();

t.test('a circle of type-only imports is an error; with the shared type moved down it is not', async (t) => {
  const v = (await found).filter((x) => x.startsWith('no-circular'));
  // depcruise names a circle once, by the edge through which it first met it.
  t.same(v, ['no-circular: stream-processor/src/state/engine.ts -> stream-processor/src/state/snapshot.ts']);
});

t.test('a router import against the flow is an error, type-only included; one with the flow is not', async (t) => {
  const v = (await found).filter((x) => x.startsWith('router-layer'));
  t.same(v, [
    'router-layer-channels: alert-router/src/channels/http.ts -> alert-router/src/delivery/store.ts',
    'router-layer-config-and-seams: alert-router/src/config/schema.ts -> alert-router/src/routing/tree.ts',
    'router-layer-delivery-and-work-orders: alert-router/src/workorders/service.ts -> alert-router/src/console/feed.ts',
  ]);
});

t.test('delivery and work orders meet only through seams.ts', async (t) => {
  const v = (await found).filter((x) => x.startsWith('router-halves'));
  t.same(v, ['router-halves-meet-at-the-seams: alert-router/src/delivery/notifier.ts -> alert-router/src/workorders/deadlines.ts']);
});
