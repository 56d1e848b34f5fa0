import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

t.test('--validate-config accepts last version\'s secret objects and weekdays, with one deprecation line each', async (t) => {
  const old = readFileSync(example, 'utf8')
    .replace(/^(\s*)signSecretEnv: (\S+)/m, '$1signSecret: { secretEnv: $2 }')
    .replace(/^(\s*)signingKeyEnv: (\S+)/m, '$1signingKey:\n$1  secretEnv: $2')
    .replace(/^routing:\n  route:\n/m, 'routing:\n  route:\n    match: { timeOfDay: { from: "00:00", to: "24:00", weekdays: [1, 2, 3, 4, 5, 6, 7] } }\n');
  t.not(old, readFileSync(example, 'utf8'));
  const file = join(mkdtempSync(join(tmpdir(), 'router-cfg-')), 'router.yaml');
  writeFileSync(file, old);
  const r = run(file);
  t.equal(r.code, 0, r.err);
  t.match(r.err, /channels\.\S+\.signSecret: the \{ secretEnv \| secretFile \} object is deprecated .*signSecretEnv/);
  t.match(r.err, /evidence\.signingKey: the \{ secretEnv \| secretFile \} object is deprecated .*signingKeyEnv/);
  t.match(r.err, /routing\.route\.match\.timeOfDay\.weekdays: "weekdays" \(1-7\) is deprecated/);
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
