import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { TOPICS } from '@streetwatch/schemas';
import { testDatabase } from '@streetwatch/platform/testing';
import { ConfigWatcher } from '../../src/config/watch.js';
import { det } from '../support/events.js';
import { kafkaFor, metric, processorSection, readAlerts, startApp, waitFor } from '../support/app.js';

t.test('a reload keeps the state of rules that still exist; a bad file is refused and the old rules stay', async (t) => {
  const k = await kafkaFor(t, 'spreload');
  const db = await testDatabase(t);
  const processor = processorSection(k);
  const count = { id: 'repeat', kind: 'count', threshold: 3, window: '10m' };
  const app = await startApp(t, k, db, [count], processor);
  const dir = mkdtempSync(join(tmpdir(), 'sp-reload-'));
  const file = join(dir, 'rules.yaml');

  await k.producer.send(TOPICS.detections, [det({ vid: 'a', t: 0 }), det({ vid: 'b', t: 10 })]);
  await waitFor('two starts processed', async () => (await metric(k, 'streetwatch_processor_events_total')) >= 2);

  writeFileSync(file, YAML.stringify({ processor, rules: [{ ...count, title: 'again {count} in {zoneId}' }, { id: 'new-dwell', kind: 'dwell', minDuration: '1h' }] }));
  t.equal(await app.reloadFile(file), true);
  t.same(app.rules.map((r) => r.id), ['repeat', 'new-dwell']);

  await k.producer.send(TOPICS.detections, [det({ vid: 'c', t: 20 })]);
  const alerts = await readAlerts(k, (a) => a.length >= 1);
  t.same(alerts[0]?.violationIds, ['a', 'b', 'c'], 'the window opened before the reload completed after it');
  t.equal(alerts[0]?.title, 'again 3 in P1', 'with the new title');

  writeFileSync(file, 'rules:\n  - id: repeat\n    kind: count\n');
  t.equal(await app.reloadFile(file), false, 'refused');
  t.same(app.rules.map((r) => r.id), ['repeat', 'new-dwell'], 'the running rules stay');
  t.equal(await metric(k, 'streetwatch_processor_rule_reloads_total', { outcome: 'rejected' }), 1);
});

t.test('the config watcher reports a change of the file, also when it is replaced', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-watch-'));
  const file = join(dir, 'rules.yaml');
  writeFileSync(file, 'rules: []\n');
  let changes = 0;
  const w = new ConfigWatcher(file, () => changes++, 20);
  w.start();
  t.teardown(() => w.close());
  writeFileSync(join(dir, 'unrelated.txt'), 'x');
  writeFileSync(file, 'rules: []\n# edited\n');
  await waitFor('a change', () => changes >= 1, { timeoutMs: 5000 });
  writeFileSync(join(dir, 'next.yaml'), 'rules: []\n');
  const { renameSync } = await import('node:fs');
  renameSync(join(dir, 'next.yaml'), file);
  await waitFor('a replacement', () => changes >= 2, { timeoutMs: 5000 });
});
