import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '@streetwatch/platform';
import { loadProcessorConfig, parseProcessorConfig } from '../../src/config/load.js';

const here = import.meta.dirname;
const example = join(here, '..', '..', 'config', 'rules.example.yaml');
const main = join(here, '..', '..', 'dist', 'main.js');

t.test('the example rules file is valid and fills defaults', async (t) => {
  const c = loadProcessorConfig(example);
  t.same(c.rules.map((r) => r.kind).sort(), ['count', 'dwell', 'dwell', 'dwell', 'score']);
  t.equal(c.settings.time.maxOutOfOrdernessMs, 5000);
  t.equal(c.settings.consumer.sessionTimeoutMs, 10000, 'a default');
  const dwell = c.rules.find((r) => r.id === 'parking-dwell-5min');
  t.equal(dwell?.kind === 'dwell' && dwell.minDurationMs, 300_000);
  t.equal(dwell?.graceMs, 10_000, 'rule grace defaults to processor.time.grace');
  t.ok(Object.isFrozen(c.settings), 'frozen');
});

t.test('every problem is reported by its path: unknown keys, bad values, cross-field rules', async (t) => {
  const err = t.throws(() =>
    parseProcessorConfig(
      {
        processor: { time: { maxOutOfOrderness: '5 minutes' }, bogus: 1 },
        rules: [
          { id: 'a', kind: 'count', threshold: 0, window: '10m', windw: '5m' },
          { id: 'a', kind: 'dwell', minDuration: '1m' },
          { id: 's', kind: 'score', halfLife: '1d', thresholds: { yellow: 50, red: 40 }, title: '{nope}' },
          { id: 'tz', kind: 'dwell', minDuration: '1m', schedule: { timezone: 'Mars/Olympus', windows: [{ from: '08:00', to: '09:00' }] } },
          { kind: 'sum' },
        ],
      },
      'rules.yaml',
    ),
  ) as unknown as ConfigError;
  t.ok(err instanceof ConfigError);
  t.equal(err.code, 'SW_CONFIG_INVALID');
  const lines = err.lines().join('\n');
  for (const path of [
    'processor.bogus: is not allowed',
    'processor.time.maxOutOfOrderness: must match pattern',
    'rules.0.windw: is not allowed',
    'rules.0.threshold: must be >= 1',
    'rules.1.id: duplicates rules.0.id',
    'rules.2.title: unknown placeholder(s): {nope}',
    'rules.2.thresholds.red: must be greater than thresholds.yellow',
    'rules.3.schedule.timezone: unknown time zone',
    'rules.4.kind: must be one of count, dwell, score',
  ]) {
    t.ok(lines.includes(`rules.yaml: ${path}`), path);
  }
});

t.test('--validate-config prints errors by path and exits 1 on a bad file, 0 on a good one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-cfg-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'rules:\n  - id: x\n    kind: dwell\n    minDuration: soon\n');
  const r = spawnSync(process.execPath, [main, '--validate-config', bad], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`${bad}: rules\\.0\\.minDuration: must match pattern`));
  const ok = spawnSync(process.execPath, [main, '--validate-config', example], { encoding: 'utf8' });
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /valid \(5 enabled rule\(s\)\)/);
  const yamlError = join(dir, 'broken.yaml');
  writeFileSync(yamlError, 'rules: [\n');
  const y = spawnSync(process.execPath, [main, '--validate-config', yamlError], { encoding: 'utf8' });
  t.equal(y.status, 1);
  t.match(y.stderr, /not valid YAML at line/);
});
