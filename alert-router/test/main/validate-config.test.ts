import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';

const main = join(import.meta.dirname, '..', '..', 'dist', 'main.js');
const example = join(import.meta.dirname, '..', '..', '..', 'k8s', 'base', 'config', 'router.yaml');

function run(file: string): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, '--validate-config', file], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('--validate-config accepts the deployed router config with exit 0', async (t) => {
  const r = run(example);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /valid/);
});

t.test('--validate-config names each bad key by path and exits 1', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'router-cfg-')), 'router.yaml');
  writeFileSync(file, 'http:\n  port: 99999\n  hots: 0.0.0.0\n');
  const r = run(file);
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`${file}: http\\.port: must be <= 65535`));
  t.match(r.err, new RegExp(`${file}: http\\.hots: is not allowed \\(unknown field\\)`));
});

t.test('--validate-config refuses a proxy that is not an address or CIDR, by path', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'router-cfg-')), 'router.yaml');
  writeFileSync(file, 'http:\n  trustProxy: ["10.0.0.0/8", "ingress.local"]\n');
  const r = run(file);
  t.equal(r.code, 1);
  t.match(r.err, new RegExp(`${file}: http\\.trustProxy\\.1: must match pattern`));
  t.notMatch(r.err, /trustProxy\.0/, 'the CIDR is fine');
});

t.test('STREETWATCH_TRUST_PROXY (the overlay’s trustProxy) with an entry that is not an address or CIDR stops the start with one clear line', async (t) => {
  const r = spawnSync(process.execPath, [main, '--config', example], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, STREETWATCH_TRUST_PROXY: '10.42.0.0/16, ingress.local' },
  });
  t.equal(r.status, 1);
  t.match(r.stdout + r.stderr, /environment STREETWATCH_TRUST_PROXY: 1: \\"ingress\.local\\" is not an address or CIDR/);
  t.notMatch(r.stdout + r.stderr, /10\.42\.0\.0\/16\\" is not/, 'the CIDR is fine');
});
