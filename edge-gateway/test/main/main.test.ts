/**
 * main.ts as a child process (`node dist/main.js`, built by `npx tsc -b`): --validate-config
 * exit codes and messages, and SIGTERM -> graceful shutdown (sources stop, open violations end
 * with 'shutdown', the outbox drains to the real broker) -> exit 0 within the grace time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import t from 'tap';
import { scenePath } from '../support/video.js';
import { collectEdgeTopics, tempDir, testConfig } from '../e2e/fixtures/gateway.js';

const PKG = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = join(PKG, 'dist/main.js');
if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npx tsc -b\` first`);

function runMain(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const EXAMPLE = join(PKG, 'config/gateway.example.yaml');

t.test('--validate-config accepts the example config with exit 0 when its camera passwords are there', async (t) => {
  const dir = await tempDir(t, 'edge-cfg');
  const pwFile = join(dir, 'cam-07-password');
  await writeFile(pwFile, 'Cam07-Secret\n');
  const file = join(dir, 'gateway.example.yaml');
  await writeFile(file, (await readFile(EXAMPLE, 'utf8')).replace('/run/secrets/cam-07-password', pwFile));
  const r = runMain(['--validate-config', file], { CAM_03_PASSWORD: 'Cam03-Secret', STREETWATCH_EDGE_OPS_TOKEN: 'ops-token-0123456789abcdef', SW_EVIDENCE_ACCESS_KEY_ID: 'LTAI-box', SW_EVIDENCE_SECRET_ACCESS_KEY: 'box-secret' });
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /gateway\.example\.yaml: valid \(gateway gw-district3-01, 2 camera\(s\), 4 zone\(s\), 1 count line\(s\)\)/);
});

t.test('--validate-config reports a camera password variable that is not set and a password file that is missing, by key path', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, STREETWATCH_EDGE_OPS_TOKEN: 'ops-token-0123456789abcdef', SW_EVIDENCE_ACCESS_KEY_ID: 'LTAI-box', SW_EVIDENCE_SECRET_ACCESS_KEY: 'box-secret' };
  delete env.CAM_03_PASSWORD;
  const r = spawnSync(process.execPath, [MAIN, '--validate-config', EXAMPLE], { encoding: 'utf8', timeout: 30_000, env });
  t.equal(r.status, 1);
  t.same(r.stderr.trim().split('\n'), [
    `${EXAMPLE}: cameras.0.source.passwordEnv: environment variable CAM_03_PASSWORD is not set`,
    `${EXAMPLE}: cameras.1.source.passwordFile: secret file /run/secrets/cam-07-password cannot be read (ENOENT)`,
  ]);
});

t.test('--validate-config rejects a bad file with exit 1 and one line per problem, by key path, without secrets', async (t) => {
  const dir = await tempDir(t, 'edge-cfg');
  const file = join(dir, 'bad.yaml');
  await writeFile(
    file,
    [
      'gatewayId: gw-1',
      'colour: red',
      'http: { port: 70000 }',
      'outbox: { path: /tmp/o.db }',
      'evidence: { jpegQuality: 80 }',
      'detector: { modelDir: /m, inputSize: 8 }',
      'cameras:',
      '  - id: cam-1',
      '    source: { type: hikvision, host: 10.0.0.5, username: admin, password: TopSecret-9, port: 99999 }',
      '    zones:',
      '      - { id: P1, type: parking, polygon: [[0, 0], [1, 0], [1, 1]] }',
      '      - { id: P2, type: illegal_parking, polygon: [[0, 0], [1, 0], [1.5, 1]] }',
      '  - id: cam-1',
      '    source: { type: webcam }',
    ].join('\n'),
  );
  const r = runMain(['--validate-config', file]);
  t.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  for (const path of [
    'colour: is not allowed',
    'http.port: must be <= 65535',
    'detector.inputSize: must be >= 64',
    'cameras.0.source.port: must be <= 65535',
    // A zone is checked against its own kind's schema: an unknown kind says which kinds exist.
    'cameras.0.zones.0.type: must be one of illegal_parking, street_vendor, shopfront_spillover, dumping, count_line',
    'cameras.0.zones.1.polygon.2.0: must be <= 1',
    'cameras.1.source.type: must be one of rtsp, hikvision, onvif, file',
  ]) {
    t.ok(lines.some((l) => l.startsWith(`${file}: `) && l.includes(path)), `reports ${path}`);
  }
  t.notMatch(r.stderr + r.stdout, /TopSecret-9/, 'the password is never echoed');
  const missing = runMain(['--validate-config', join(dir, 'nope.yaml')]);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /cannot read file/);
});

t.test('a duplicate camera id is reported even when every key is valid', async (t) => {
  const dir = await tempDir(t, 'edge-cfg');
  const file = join(dir, 'dup.json');
  const cam = { id: 'cam-1', source: { type: 'file', path: '/v.mp4' } };
  await writeFile(file, JSON.stringify({ gatewayId: 'gw-1', outbox: { path: '/o' }, detector: { modelDir: '/m' }, cameras: [cam, cam] }));
  const r = runMain(['--validate-config', file]);
  t.equal(r.code, 1);
  t.match(r.stderr, /cameras\.1\.id: duplicates cameras\.0\.id \(cam-1\)/);
});

t.test('SIGTERM ends the open violations, flushes the outbox to Kafka and exits 0 within the grace time', async (t) => {
  const k = await testKafka(t, { label: 'edge-main' });
  const topics = await collectEdgeTopics(t, k);
  const dir = await tempDir(t, 'edge-main');
  const graceMs = 8000;
  const config = await testConfig(dir, k, {
    shutdown: { graceMs },
    analytics: { tracker: { highScore: 0.3, stationaryWindowSeconds: 2 } },
    cameras: [
      {
        id: 'cam-van',
        // the walkway on a loop: the van parked at the top right never leaves
        source: { type: 'file', path: scenePath('vtest-20s.mp4'), loop: true, startTime: '2024-05-06T06:00:00.000Z' },
        analytic: { fps: 2, width: 384, height: 288 },
        zones: [{ id: 'P9', type: 'illegal_parking', polygon: [[0.78, 0.02], [1, 0.02], [1, 0.3], [0.78, 0.3]], dwellSeconds: 2 }],
      },
    ],
  });
  const file = join(dir, 'gateway.json');
  await writeFile(file, JSON.stringify(config));
  const child: ChildProcess = spawn(process.execPath, [MAIN, '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, STREETWATCH_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.once('exit', (code, signal) => res({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const start = await waitFor('an illegal_parking start on Kafka', () => topics.detections.find((d) => d.phase === 'start'), { timeoutMs: 90_000 }).catch(
    (e: unknown) => {
      throw new Error(`${(e as Error).message}\n${out.slice(-4000)}`);
    },
  );
  t.match(start, { type: 'illegal_parking', cameraId: 'cam-van', zoneId: 'P9' });
  child.kill('SIGTERM');
  const result = await waitFor('the process to exit', () => (child.exitCode !== null || child.signalCode !== null ? exited : undefined), {
    timeoutMs: graceMs + 5000,
  });
  t.same(result, { code: 0, signal: null }, 'exit 0');
  const started = new Set(topics.detections.filter((d) => d.phase === 'start').map((d) => d.violationId));
  const ends = await waitFor(
    'an end for every started violation',
    () => {
      const e = topics.detections.filter((d) => d.phase === 'end');
      return [...started].every((id) => e.some((x) => x.violationId === id)) ? e : undefined;
    },
    { timeoutMs: 15_000 },
  );
  for (const e of ends) {
    t.equal(e.endReason, 'shutdown', `${e.violationId} ended by the shutdown`);
    t.ok(e.evidence, 'with its last picture');
  }
  t.same(topics.invalid, []);
  const summary = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .find((l) => l.msg === 'shutdown complete');
  t.match(summary, { flushed: true, left: 0, failures: [] }, 'the outbox was drained before exit');
  t.ok(/"msg":"closed".*"component":"cameras"|"component":"cameras".*"msg":"closed"/.test(out), 'the cameras were closed');
});
