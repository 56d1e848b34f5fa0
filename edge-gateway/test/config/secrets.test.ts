/**
 * Camera passwords named in config (`passwordEnv`, `passwordFile`): resolved once while the config
 * is loaded, problems reported by key path without the value, never written to a log.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ConfigError, createLogger } from '@streetwatch/platform';
import t from 'tap';
import { parseCameraConfig } from '../../src/cameras/config.js';
import { parseGatewayConfig } from '../../src/config/parse.js';
import { EDGE_REDACT_PATHS } from '../../src/config/secrets.js';
import { tempDir } from '../e2e/fixtures/gateway.js';

const base = {
  gatewayId: 'gw-1',
  outbox: { path: '/var/lib/sw/outbox.db' },
  evidence: {},
  detector: { modelDir: '/models' },
};
const hik = (password: Record<string, string>) => ({ type: 'hikvision', host: '10.0.0.5', username: 'admin', ...password });
const SECRET = 'S3cret-from-env!';

function problems(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    parseGatewayConfig(raw, 'gw.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  return [];
}

t.test('passwordEnv is read once at load: the frozen config holds the password and no reference', async (t) => {
  const c = parseGatewayConfig({ ...base, cameras: [{ id: 'cam-1', source: hik({ passwordEnv: 'CAM_1_PW' }) }] }, 'gw.yaml', { env: { CAM_1_PW: SECRET } });
  const src = c.cameras[0]!.source;
  t.match(src, { type: 'hikvision', password: SECRET });
  t.notOk('passwordEnv' in src, 'the reference is gone');
  t.ok(Object.isFrozen(src));
});

t.test('passwordFile is read once at load, without its trailing newline', async (t) => {
  const dir = await tempDir(t, 'edge-secret');
  const file = join(dir, 'cam-1.pw');
  await writeFile(file, `${SECRET}\n`);
  const c = parseGatewayConfig({ ...base, cameras: [{ id: 'cam-1', source: { type: 'onvif', host: 'h', username: 'u', passwordFile: file } }] });
  t.equal(c.cameras[0]!.source.type === 'onvif' && c.cameras[0]!.source.password, SECRET);
});

t.test('a variable that is not set and a file that cannot be read are reported by key path', async (t) => {
  const dir = await tempDir(t, 'edge-secret');
  const unreadable = join(dir, 'locked.pw');
  await writeFile(unreadable, SECRET);
  await chmod(unreadable, 0o000);
  const lines = problems({
    ...base,
    cameras: [
      { id: 'cam-1', source: hik({ passwordEnv: 'CAM_1_PW' }) },
      { id: 'cam-2', source: hik({ passwordFile: join(dir, 'missing.pw') }) },
      { id: 'cam-3', source: hik({ passwordEnv: 'CAM_3_PW' }) },
      // root reads a 000 file: only check it when the test does not run as root
      ...(process.getuid?.() === 0 ? [] : [{ id: 'cam-4', source: hik({ passwordFile: unreadable }) }]),
    ],
  }, { CAM_3_PW: '' });
  t.ok(lines.includes('gw.yaml: cameras.0.source.passwordEnv: environment variable CAM_1_PW is not set'), lines.join('\n'));
  t.ok(lines.includes(`gw.yaml: cameras.1.source.passwordFile: secret file ${join(dir, 'missing.pw')} cannot be read (ENOENT)`), lines.join('\n'));
  t.ok(lines.includes('gw.yaml: cameras.2.source.passwordEnv: environment variable CAM_3_PW is empty'), lines.join('\n'));
  if (process.getuid?.() !== 0) t.ok(lines.some((l) => l.startsWith('gw.yaml: cameras.3.source.passwordFile: ') && l.includes('(EACCES)')), lines.join('\n'));
  t.notOk(lines.some((l) => l.includes(SECRET)), 'no value in any message');
});

t.test('exactly one of password, passwordEnv, passwordFile: two are refused, none is refused for hikvision and onvif', async (t) => {
  const lines = problems({
    ...base,
    cameras: [
      { id: 'cam-1', source: hik({ password: SECRET, passwordEnv: 'CAM_1_PW' }) },
      { id: 'cam-2', source: { type: 'onvif', host: 'h', username: 'u' } },
      { id: 'cam-3', source: { type: 'rtsp', url: 'rtsp://10.0.0.9/live' } },
      { id: 'cam-4', source: { type: 'rtsp', url: 'rtsp://10.0.0.9/live', username: 'u', passwordFile: '/a', passwordEnv: 'B' } },
    ],
  }, { CAM_1_PW: 'x' });
  t.same(lines, [
    'gw.yaml: cameras.0.source.passwordEnv: only one of password, passwordEnv, passwordFile may be set (also set: password)',
    'gw.yaml: cameras.1.source.password: is required (or passwordEnv / passwordFile)',
    'gw.yaml: cameras.3.source.passwordFile: only one of password, passwordEnv, passwordFile may be set (also set: passwordEnv)',
  ]);
  t.throws(() => parseCameraConfig({ id: 'cam-1', source: hik({}) }), { errors: [{ path: '/source/password' }] }, 'the standalone camera parser applies the same rule');
});

t.test('a resolved password never reaches a log line of the gateway logger', async (t) => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ name: 'edge-gateway', level: 'info', redact: EDGE_REDACT_PATHS, destination });
  const config = parseGatewayConfig({ ...base, cameras: [{ id: 'cam-1', source: hik({ passwordEnv: 'CAM_1_PW' }) }] }, 'gw.yaml', { env: { CAM_1_PW: SECRET } });
  const camera = config.cameras[0]!;
  log.info({ config }, 'config loaded');
  log.info({ cameras: config.cameras }, 'cameras');
  log.info({ camera }, 'camera');
  log.info({ source: camera.source }, 'source');
  log.child({ cameraId: camera.id }).info(camera, 'camera as the log object');
  t.equal(lines.length, 5);
  t.notOk(lines.some((l) => l.includes(SECRET)), lines.join(''));
  t.ok(lines.every((l) => l.includes('"password":"***"')), 'every line shows the key, redacted');
});
