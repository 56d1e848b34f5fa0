import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import t from 'tap';
import { applySecretObjects, ConfigError, loadConfigFile, parseConfig, resolveSecretField, secretFieldSchema, validateConfigCommand } from '../src/index.js';

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

// ---- secrets in config: one spelling, `<field>Env` / `<field>File`, resolved by path; the old object form converted once ----
const Channel = Type.Object({ url: Type.String(), ...secretFieldSchema('signSecret') }, { additionalProperties: false });
const files: Record<string, string> = { '/run/secrets/sign': 'from-a-file\n' };
const ctx = { env: { SIGN: 'from-the-env' }, readFile: (p: string) => files[p] ?? (() => { throw Object.assign(new Error('nope'), { code: 'ENOENT' }); })() };

t.test('the schema takes <field>Env or <field>File and refuses the secret inline', async (t) => {
  t.ok(parseConfig(Channel, { url: 'u', signSecretEnv: 'SIGN' }));
  t.ok(parseConfig(Channel, { url: 'u', signSecretFile: '/run/secrets/sign' }));
  const e = t.throws(() => parseConfig(Channel, { url: 'u', signSecret: 'hunter2' }, 'router.yaml')) as ConfigError;
  t.match(e.lines().join('\n'), /signSecret/, 'an inline secret is an unknown key');
});

t.test('resolveSecretField reads the variable or the file and names the key path of a problem', async (t) => {
  t.same(resolveSecretField({ signSecretEnv: 'SIGN' }, 'signSecret', '/channels/duty', ctx), { ok: true, value: 'from-the-env' });
  t.same(resolveSecretField({ signSecretFile: '/run/secrets/sign' }, 'signSecret', '/channels/duty', ctx), { ok: true, value: 'from-a-file' }, 'one trailing newline dropped');
  t.match(resolveSecretField({ signSecretEnv: 'UNSET' }, 'signSecret', '/channels/duty', ctx), {
    ok: false,
    error: { path: '/channels/duty/signSecretEnv', message: 'environment variable UNSET is not set' },
  });
  t.match(resolveSecretField({ signSecretFile: '/run/none' }, 'signSecret', '/channels/duty', ctx), {
    ok: false,
    error: { path: '/channels/duty/signSecretFile', message: 'secret file /run/none cannot be read (ENOENT)' },
  });
  t.match(resolveSecretField({ signSecretEnv: 'SIGN', signSecretFile: '/run/secrets/sign' }, 'signSecret', '/channels/duty', ctx), {
    ok: false,
    error: { path: '/channels/duty/signSecretFile', message: 'set one of signSecretEnv, signSecretFile: channels.duty.signSecretEnv is set too' },
  }, 'both: refused, naming both');
  t.match(resolveSecretField({}, 'signSecret', '/channels/duty', ctx), { ok: false, error: { path: '/channels/duty/signSecretEnv', message: /give one of signSecretEnv, signSecretFile/ } });
  t.same(resolveSecretField({}, 'token', '/http', ctx, { optional: true }), { ok: true, value: undefined }, 'optional: neither is no secret');
});

t.test('the old { secretEnv | secretFile } object becomes <field>Env / <field>File with one deprecation line per field', async (t) => {
  const raw = {
    channels: {
      a: { signSecret: { secretEnv: 'A_SIGN' } },
      b: { signSecret: { secretFile: '/run/b' } },
      c: { signSecretEnv: 'C_SIGN' },
    },
    evidence: { signingKey: { secretEnv: 'EV' } },
  };
  const r = applySecretObjects(raw, [{ at: '/channels/*', field: 'signSecret' }, { at: '/evidence', field: 'signingKey' }, { at: '/live', field: 'signingKey' }]);
  t.same(r.value, { channels: { a: { signSecretEnv: 'A_SIGN' }, b: { signSecretFile: '/run/b' }, c: { signSecretEnv: 'C_SIGN' } }, evidence: { signingKeyEnv: 'EV' } });
  t.same(r.errors, []);
  t.equal(r.deprecations.length, 2);
  t.match(r.deprecations[0], /^config key channels\.a\.signSecret \(and 1 more\): .*deprecated.*signSecretEnv or signSecretFile \(e\.g\. "signSecretEnv: A_SIGN"\)/);
  t.match(r.deprecations[1], /^config key evidence\.signingKey: .*"signingKeyEnv: EV"/);
  t.same(raw.channels.a, { signSecret: { secretEnv: 'A_SIGN' } }, 'the input is not changed');
});

t.test('the old object and a new key at once is refused, naming both paths', async (t) => {
  const r = applySecretObjects({ evidence: { signingKey: { secretEnv: 'OLD' }, signingKeyFile: '/run/new' } }, [{ at: '/evidence', field: 'signingKey' }]);
  t.same(r.errors, [{ path: '/evidence/signingKey', message: 'is the old form of evidence.signingKeyFile, which is set too: keep only signingKeyFile' }]);
  t.same(r.deprecations, []);
});
