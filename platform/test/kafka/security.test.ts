// Kafka over TLS + SASL SCRAM-SHA-512 with per-principal ACLs, against the stack's real broker:
// who gets in, what each principal may do, and that failures are one clear line and the password
// never reaches a log. ACLs are on the real topic names (schemas/src/access.ts), so this file
// provisions those (idempotent; no prefix) and reads/writes them with unique keys/groups.
import { Writable } from 'node:stream';
import t from 'tap';
import kafkajs from 'kafkajs';
import { TOPICS, departmentTopic, type TopicSpec } from '@streetwatch/schemas';
import {
  checkKafka,
  classifyKafkaError,
  createKafka,
  createLogger,
  kafkaSecurityFromEnv,
  provisionTopics,
  stackSettings,
  withSaslUser,
  type KafkaSecurity,
} from '../../src/index.js';
import { stackUserSecurity, testKafka, uniqueId, waitFor } from '../../src/testing/index.js';

const settings = stackSettings();
const brokers = settings.kafka.brokers;
const quiet = createLogger({ name: 'security-test', level: 'silent' });

/** A client as `sec` with no kafkajs retries (refusals must show at once). */
function client(sec: KafkaSecurity, clientId = 'security-test'): kafkajs.Kafka {
  return createKafka({ brokers, clientId, ...sec, retries: 0, connectionTimeout: 3000, requestTimeout: 5000 }, quiet);
}

/** The error `fn` rejects with (fails the test if it resolves). */
async function refusal(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal, but the operation succeeded');
}

const CHENGGUAN = departmentTopic('chengguan');
const SAFETY = departmentTopic('safety');

t.before(async () => {
  // The real (unprefixed) topics the ACLs name; idempotent across runs and files.
  const k = createKafka({ ...settings.kafka, clientId: 'security-setup' }, quiet);
  const admin = k.admin();
  await admin.connect();
  try {
    await provisionTopics(admin, [TOPICS.detections, TOPICS.alerts, CHENGGUAN, SAFETY]);
  } finally {
    await admin.disconnect();
  }
});

async function produce(sec: KafkaSecurity, spec: TopicSpec, value: string): Promise<void> {
  const p = client(sec).producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await p.connect();
  try {
    await p.send({ topic: spec.name, acks: -1, messages: [{ key: value, value }] });
  } finally {
    await p.disconnect();
  }
}

/** Read `spec` from the beginning as `sec` with `groupId` until `value` arrives (bounded). */
async function consume(sec: KafkaSecurity, spec: TopicSpec, groupId: string, value: string): Promise<void> {
  const c = client(sec).consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 0 } });
  let crashed: unknown;
  c.on(c.events.CRASH, (e) => void (crashed = e.payload.error));
  await c.connect();
  try {
    await c.subscribe({ topics: [spec.name], fromBeginning: true });
    let seen = false;
    await c.run({ eachMessage: async ({ message }) => void (seen ||= message.value?.toString() === value) });
    await waitFor(`${value} on ${spec.name}`, () => {
      if (crashed !== undefined) throw crashed;
      return seen;
    }, { timeoutMs: 30_000 });
  } finally {
    await c.disconnect();
  }
}

t.test('a client without credentials is refused, with one line saying what is missing', async (t) => {
  // TLS but no SASL user: the broker accepts the TLS handshake and nothing else.
  const tlsOnly = (await refusal(() => checkKafka({ brokers, ssl: settings.kafka.ssl }, { timeoutMs: 20_000 }))) as Error & { code: string };
  t.equal(tlsOnly.code, 'SW_KAFKA_AUTH', tlsOnly.message);
  t.match(tlsOnly.message, /requires SASL authentication but no user is configured/);
  // Neither TLS nor SASL (the old PLAINTEXT way): refused too.
  const plain = (await refusal(() => checkKafka({ brokers }, { timeoutMs: 20_000 }))) as Error & { code: string };
  t.equal(plain.code, 'SW_KAFKA_TLS', plain.message);
  t.match(plain.message, /closed the connection .* expects TLS \+ SASL/);
  const admin = client({}).admin();
  const e = await refusal(async () => {
    await admin.connect();
    await admin.listTopics();
  });
  await admin.disconnect().catch(() => undefined);
  t.ok(e instanceof Error, `a raw plaintext client gets nothing (${(e as Error).message})`);
});

t.test('a wrong password is one SW_KAFKA_AUTH line naming the user and where the password came from, at once', async (t) => {
  const wrong = withSaslUser(settings.kafka, 'edge-gateway', 'not-the-password-0123456789');
  const started = Date.now();
  const err = (await refusal(() => checkKafka({ brokers, ...wrong }, { timeoutMs: 20_000 }))) as Error & { code: string };
  t.equal(err.code, 'SW_KAFKA_AUTH');
  t.match(err.message, /refused user edge-gateway \(SASL SCRAM-SHA-512\)/);
  t.notOk(err.message.includes('not-the-password'), 'the message never holds the password');
  t.equal(err.message.split('\n').length, 1, 'one line');
  t.ok(Date.now() - started < 15_000, 'not retried until the deadline (kafkajs treats SASL failures as final)');
  // The same through a service's client (createKafka with its own retries): final at once too.
  const admin = createKafka({ brokers, clientId: 'wrong-pw', ...wrong }, quiet).admin();
  const e2 = await refusal(() => admin.connect());
  t.equal(classifyKafkaError(e2), 'SW_KAFKA_AUTH');
});

t.test('a broker certificate the client cannot verify is one SW_KAFKA_TLS line; a missing CA file a config error', async (t) => {
  // No CA: the system trust store does not know the stack's CA.
  const noCa: KafkaSecurity = { ssl: {}, ...(settings.kafka.sasl ? { sasl: settings.kafka.sasl } : {}) };
  const err = (await refusal(() => checkKafka({ brokers, ...noCa }, { timeoutMs: 20_000 }))) as Error & { code: string };
  t.equal(err.code, 'SW_KAFKA_TLS');
  t.match(err.message, /TLS with Kafka at .* failed .*STREETWATCH_KAFKA_SSL_CA_FILE/);
  // A CA path that does not exist: refused while resolving the settings, naming the variable.
  const env = { ...process.env, STREETWATCH_KAFKA_SSL_CA_FILE: '/nonexistent/ca.crt' };
  t.throws(() => kafkaSecurityFromEnv(env), { code: 'SW_CONFIG_INVALID', message: /STREETWATCH_KAFKA_SSL_CA_FILE: CA certificate file \/nonexistent\/ca.crt cannot be read \(ENOENT\)/ });
  const noPw = { ...process.env, STREETWATCH_KAFKA_SASL_PASSWORD_FILE: '', STREETWATCH_KAFKA_SASL_PASSWORD: undefined };
  t.throws(() => kafkaSecurityFromEnv(noPw), { message: /STREETWATCH_KAFKA_SASL_PASSWORD: environment variable STREETWATCH_KAFKA_SASL_PASSWORD is not set/ });
});

t.test("a gateway's credentials write detections but cannot write or read alerts", async (t) => {
  const gateway = stackUserSecurity('edge-gateway');
  const mark = uniqueId('gw');
  await produce(gateway, TOPICS.detections, mark);
  // The router reads what the gateway wrote (positive control for the router's read ACL too).
  await consume(stackUserSecurity('alert-router'), TOPICS.detections, `alert-router-${mark}`, mark);
  t.pass('detections written by the gateway, read by the router');

  const write = await refusal(() => produce(gateway, TOPICS.alerts, mark));
  t.equal(classifyKafkaError(write), 'SW_KAFKA_DENIED', `writing alerts refused (${(write as Error).message})`);
  const read = await refusal(() => consume(gateway, TOPICS.alerts, `alert-router-${mark}-gw`, mark));
  t.equal(classifyKafkaError(read), 'SW_KAFKA_DENIED', `reading alerts refused (${(read as Error).message})`);
});

t.test("a department's credentials read its own queue and not another department's", async (t) => {
  const mark = uniqueId('dq');
  const router = stackUserSecurity('alert-router');
  await produce(router, CHENGGUAN, mark);
  await produce(router, SAFETY, mark);
  const chengguan = stackUserSecurity('dept-chengguan');
  await consume(chengguan, CHENGGUAN, `dept-chengguan.${mark}`, mark);
  t.pass('dept-chengguan reads streetwatch.dept.chengguan.v1');
  // Same principal, a group it may use: only the topic is refused.
  const other = await refusal(() => consume(chengguan, SAFETY, `dept-chengguan.${mark}-2`, mark));
  t.equal(classifyKafkaError(other), 'SW_KAFKA_DENIED', `streetwatch.dept.safety.v1 refused (${(other as Error).message})`);
  const write = await refusal(() => produce(chengguan, CHENGGUAN, mark));
  t.equal(classifyKafkaError(write), 'SW_KAFKA_DENIED', 'a department cannot write its queue');
});

t.test('the SASL password never appears in logs', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const log = createLogger({ name: 'redaction', level: 'trace', destination: sink });
  const sec = settings.kafka;
  const password = sec.sasl?.password ?? '';
  t.ok(password.length >= 16, 'the stack gave a password');
  // What a service logs: its settings (by mistake), kafkajs' own debug lines through pino, failures.
  log.info({ kafka: sec }, 'kafka settings');
  log.info({ settings: { kafka: sec } }, 'nested settings');
  const k = await testKafka(t, { label: 'redact' });
  const kafka = createKafka({ ...sec, clientId: 'redaction' }, log);
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic: `${k.prefix}${TOPICS.detections.name}`, messages: [{ value: 'x' }] });
  await p.disconnect();
  const wrong = withSaslUser(sec, 'edge-gateway', `${password}-wrong`);
  const e = await refusal(() => createKafka({ brokers, clientId: 'redaction-wrong', ...wrong, retries: 0 }, log).admin().connect());
  log.error({ err: e }, 'connect failed');
  await refusal(() => checkKafka({ brokers, ...wrong }, { timeoutMs: 5000, log })).then((err) => log.error({ err }, 'check failed'));
  const all = lines.join('');
  t.ok(lines.length > 3, `${lines.length} log lines captured`);
  t.notOk(all.includes(password), 'the password is in no log line', { leaked: lines.filter((l) => l.includes(password)).map((l) => l.replaceAll(password, '<PW>')) });
  t.match(all, /"username":"streetwatch-admin"/, 'the settings were logged (user name and all), the password left out');
});
