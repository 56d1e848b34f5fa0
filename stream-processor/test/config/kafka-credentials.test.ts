// The processor's entry point against the stack's real (TLS + SASL) broker: a wrong password or a
// missing CA stops it at start with ONE fatal line carrying the error code, instead of kafkajs
// retrying a refused connection for ever.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const here = dirname(fileURLToPath(import.meta.url));
const main = join(here, '..', '..', 'dist', 'main.js');
const config = join(here, '..', '..', '..', 'k8s', 'base', 'config', 'processor.yaml');

/** Run main with `env` over the stack's; resolves with its exit code and output (bounded). */
function runMain(env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, '--config', config], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main still running after 60 s (a hang):\n${out}`));
    }, 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

t.test('a wrong SASL password: exit 1 with one SW_KAFKA_AUTH line, the password nowhere', async (t) => {
  const password = 'wrong-password-3f9a2c';
  const r = await runMain({ STREETWATCH_KAFKA_SASL_PASSWORD_FILE: '', STREETWATCH_KAFKA_SASL_PASSWORD: password, STREETWATCH_KAFKA_SASL_USERNAME: 'stream-processor' });
  t.equal(r.code, 1, r.out);
  const fatal = r.out.split('\n').filter((l) => l.includes('"level":"fatal"'));
  t.equal(fatal.length, 1, 'one fatal line');
  t.match(fatal[0] ?? '', /"code":"SW_KAFKA_AUTH".*refused user stream-processor \(SASL SCRAM-SHA-512\)/);
  t.notOk(r.out.includes(password), 'the password is not in the output');
});

t.test('a CA file that does not exist: exit 1 naming the variable', async (t) => {
  const r = await runMain({ STREETWATCH_KAFKA_SSL_CA_FILE: '/nonexistent/kafka-ca.crt' });
  t.equal(r.code, 1, r.out);
  t.match(r.out, /environment: STREETWATCH_KAFKA_SSL_CA_FILE: CA certificate file \/nonexistent\/kafka-ca.crt cannot be read \(ENOENT\)/);
});
