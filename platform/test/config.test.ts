import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import { ConfigError, loadConfigFile, parseConfig, validateConfigCommand } from '../src/index.js';

const Schema = Type.Object(
  {
    http: Type.Object({ port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }) }, { additionalProperties: false, default: {} }),
    cameras: Type.Array(
      Type.Object({ id: Type.String({ minLength: 1 }), url: Type.String({ pattern: '^rtsp://' }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

function file(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'config.yaml');
  writeFileSync(p, text);
  return p;
}

t.test('defaults are filled in and the result is frozen', async (t) => {
  const c = parseConfig(Schema, { cameras: [{ id: 'c1', url: 'rtsp://h/1' }] });
  t.equal(c.http.port, 8080);
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.cameras[0]));
});

t.test('errors name the key path, including unknown keys', async (t) => {
  const p = file('cameras:\n  - id: c1\n    url: http://x\n  - id: c2\n    url: rtsp://h\n    pasword: x\nhttp:\n  port: 70000\n');
  const err = t.throws(() => loadConfigFile(Schema, p)) as unknown;
  t.ok(err instanceof ConfigError);
  if (!(err instanceof ConfigError)) return;
  t.equal(err.code, 'SW_CONFIG_INVALID');
  const lines = err.lines();
  t.ok(lines.includes(`${p}: cameras.0.url: must match pattern "^rtsp://"`), lines.join('\n'));
  t.ok(lines.includes(`${p}: cameras.1.pasword: is not allowed (unknown field)`));
  t.ok(lines.includes(`${p}: http.port: must be <= 65535`));
});

t.test('a YAML syntax error says where', async (t) => {
  const p = file('cameras: [\n  {id: c1,\n');
  t.throws(() => loadConfigFile(Schema, p), { code: 'SW_CONFIG_UNREADABLE', message: /not valid YAML at line/ });
});

t.test('--validate-config exits 0 for a valid file and 1 with one line per problem', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  t.equal(validateConfigCommand((f) => loadConfigFile(Schema, f), file('cameras: []\n'), (l) => out.push(l), (l) => err.push(l)), 0);
  t.equal(validateConfigCommand((f) => loadConfigFile(Schema, f), file('cameras: [{id: ""}]\n'), (l) => out.push(l), (l) => err.push(l)), 1);
  t.equal(err.length, 2);
  t.match(err.join('\n'), /cameras\.0\.url: is required/);
  t.equal(validateConfigCommand((f) => loadConfigFile(Schema, f), '/nonexistent/x.yaml', () => undefined, (l) => err.push(l)), 1);
  t.match(err.at(-1), /cannot read file/);
});
