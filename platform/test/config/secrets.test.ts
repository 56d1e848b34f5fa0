/** One spelling of a secret in config: `<field>Env` / `<field>File`, resolved by path; the old object form converted once. */
import { Type } from '@sinclair/typebox';
import t from 'tap';
import { applySecretObjects, ConfigError, parseConfig, resolveSecretField, secretFieldSchema } from '../../src/index.js';

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
