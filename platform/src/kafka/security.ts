/**
 * How clients prove who they are to Kafka: TLS (the broker's certificate checked against a CA)
 * and SASL SCRAM-SHA-512 (user name + password), from the environment by the secret-reference
 * convention (config/secrets.ts): the password is in STREETWATCH_KAFKA_SASL_PASSWORD or in the
 * file STREETWATCH_KAFKA_SASL_PASSWORD_FILE, never in a config file.
 *
 *   STREETWATCH_KAFKA_SECURITY        sasl_ssl (default) | plaintext (only for a broker you run open on purpose)
 *   STREETWATCH_KAFKA_SSL_CA_FILE     PEM file of the CA that signed the broker's certificate
 *                                     (unset: the system's CAs)
 *   STREETWATCH_KAFKA_SASL_USERNAME   the principal's SCRAM user name
 *   STREETWATCH_KAFKA_SASL_PASSWORD / STREETWATCH_KAFKA_SASL_PASSWORD_FILE
 *
 * Failures are classified into stable codes (SW_KAFKA_AUTH, SW_KAFKA_TLS, SW_KAFKA_DENIED,
 * SW_KAFKA_UNAVAILABLE) so a wrong password or an untrusted certificate is one clear line instead
 * of kafkajs retrying a connection error for ever.
 */
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';
import { ConfigError } from '../config.js';
import { readSecret } from '../config/secrets.js';
import { StreetwatchError } from '../errors.js';

export interface KafkaTls {
  /** PEM text of the trusted CA(s); undefined: the system's CAs. */
  readonly ca?: string;
  /** Where the CA came from (for messages). */
  readonly caFile?: string;
}

export interface KafkaSasl {
  readonly mechanism: 'scram-sha-512';
  readonly username: string;
  readonly password: string;
  /** Where the password came from (`environment variable X` / `file Y`), for messages; never the value. */
  readonly passwordSource: string;
}

export interface KafkaSecurity {
  readonly ssl?: KafkaTls;
  readonly sasl?: KafkaSasl;
}

const ENV_SOURCE = 'environment';

function bad(key: string, message: string, cause?: unknown): ConfigError {
  return new ConfigError('SW_CONFIG_INVALID', ENV_SOURCE, [{ path: `/${key}`, message }], cause);
}

/**
 * Resolve the Kafka security settings from `env` (once, at start). Throws ConfigError naming the
 * variable (never a value) when one is missing, empty or unreadable.
 */
export function kafkaSecurityFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): KafkaSecurity {
  const protocol = (env.STREETWATCH_KAFKA_SECURITY ?? 'sasl_ssl').toLowerCase();
  if (protocol === 'plaintext') return {};
  if (protocol !== 'sasl_ssl') throw bad('STREETWATCH_KAFKA_SECURITY', `must be sasl_ssl or plaintext (got ${protocol})`);
  let ssl: KafkaTls = {};
  const caFile = env.STREETWATCH_KAFKA_SSL_CA_FILE;
  if (caFile !== undefined && caFile !== '') {
    let ca: string;
    try {
      ca = readFile(caFile);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      throw bad('STREETWATCH_KAFKA_SSL_CA_FILE', `CA certificate file ${caFile} cannot be read${typeof code === 'string' ? ` (${code})` : ''}`, cause);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
      throw bad('STREETWATCH_KAFKA_SSL_CA_FILE', `${caFile} holds no PEM certificate`);
    }
    ssl = { ca, caFile };
  }
  const username = env.STREETWATCH_KAFKA_SASL_USERNAME;
  if (username === undefined || username === '') {
    throw bad('STREETWATCH_KAFKA_SASL_USERNAME', 'is not set (SASL SCRAM-SHA-512 needs a user; STREETWATCH_KAFKA_SECURITY=plaintext only for an open broker)');
  }
  const fileVar = env.STREETWATCH_KAFKA_SASL_PASSWORD_FILE;
  const source = fileVar !== undefined && fileVar !== '' ? { file: fileVar } : { env: 'STREETWATCH_KAFKA_SASL_PASSWORD' };
  const pw = readSecret(source, { env, readFile });
  if (!pw.ok) {
    throw bad('file' in source ? 'STREETWATCH_KAFKA_SASL_PASSWORD_FILE' : 'STREETWATCH_KAFKA_SASL_PASSWORD', pw.problem, pw.cause);
  }
  const passwordSource = 'file' in source ? `file ${source.file}` : `environment variable ${source.env}`;
  return { ssl, sasl: scramSasl(username, pw.value, passwordSource) };
}

/**
 * SASL settings whose password is a non-enumerable property: JSON (pino) and util.inspect skip
 * it, so logging a settings object at any depth cannot show it; kafkajs reads it by name.
 */
export function scramSasl(username: string, password: string, passwordSource: string): KafkaSasl {
  const sasl = { mechanism: 'scram-sha-512' as const, username, passwordSource };
  Object.defineProperty(sasl, 'password', { value: password, enumerable: false });
  return sasl as KafkaSasl;
}

/** The same security with another SCRAM user (tests: a gateway's or a department's credentials). */
export function withSaslUser(sec: KafkaSecurity, username: string, password: string): KafkaSecurity {
  return { ...sec, sasl: scramSasl(username, password, 'given') };
}

/** The kafkajs `ssl` / `sasl` options for these settings. */
export function kafkajsSecurity(sec: KafkaSecurity): Pick<kafkajs.KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<kafkajs.KafkaConfig, 'ssl' | 'sasl'> = {};
  if (sec.ssl) out.ssl = sec.ssl.ca !== undefined ? { ca: [sec.ssl.ca], rejectUnauthorized: true } : { rejectUnauthorized: true };
  if (sec.sasl) out.sasl = { mechanism: 'scram-sha-512', username: sec.sasl.username, password: sec.sasl.password };
  return out;
}

export type KafkaFailureCode = 'SW_KAFKA_AUTH' | 'SW_KAFKA_TLS' | 'SW_KAFKA_DENIED' | 'SW_KAFKA_UNAVAILABLE';

/** Node's TLS verification failures (the broker's certificate is not one we trust). */
const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Walk an error and its causes (kafkajs nests them in `originalError` / `cause`). */
function* chain(err: unknown): Generator<Record<string, unknown>> {
  let cur: unknown = err;
  for (let i = 0; i < 6 && cur !== null && typeof cur === 'object'; i++) {
    const o = cur as Record<string, unknown>;
    yield o;
    cur = o.originalError ?? o.cause ?? (Array.isArray(o.errors) ? o.errors[0] : undefined);
  }
}

/** Which kind of Kafka failure `err` is; undefined when it is none of these. */
export function classifyKafkaError(err: unknown): KafkaFailureCode | undefined {
  let connection = false;
  for (const o of chain(err)) {
    const name = typeof o.name === 'string' ? o.name : '';
    const type = typeof o.type === 'string' ? o.type : '';
    const code = typeof o.code === 'string' ? o.code : '';
    const message = typeof o.message === 'string' ? o.message : '';
    if (name === 'KafkaJSSASLAuthenticationError' || type === 'SASL_AUTHENTICATION_FAILED' || type === 'ILLEGAL_SASL_STATE') return 'SW_KAFKA_AUTH';
    if (type.endsWith('_AUTHORIZATION_FAILED')) return 'SW_KAFKA_DENIED';
    if (TLS_CODES.has(code) || /certificate|before secure TLS connection|wrong version number/i.test(message)) return 'SW_KAFKA_TLS';
    if (name === 'KafkaJSConnectionError' || name === 'KafkaJSNumberOfRetriesExceeded' || name === 'KafkaJSConnectionClosedError') connection = true;
  }
  return connection ? 'SW_KAFKA_UNAVAILABLE' : undefined;
}

/** One line for a classified failure: what failed, for whom, and what to check. */
export function describeKafkaFailure(code: KafkaFailureCode, brokers: readonly string[], sec: KafkaSecurity, err: unknown): string {
  const at = brokers.join(',');
  const detail = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'SW_KAFKA_AUTH':
      return sec.sasl
        ? `Kafka at ${at} refused user ${sec.sasl.username} (SASL SCRAM-SHA-512): wrong user name or password — check STREETWATCH_KAFKA_SASL_USERNAME and the password in ${sec.sasl.passwordSource}`
        : `Kafka at ${at} requires SASL authentication but no user is configured — set STREETWATCH_KAFKA_SASL_USERNAME and STREETWATCH_KAFKA_SASL_PASSWORD(_FILE)`;
    case 'SW_KAFKA_TLS':
      return sec.ssl
        ? `TLS with Kafka at ${at} failed (${detail}) — the broker's certificate must be signed by the CA in ${sec.ssl.caFile ?? "the system's trust store"} (STREETWATCH_KAFKA_SSL_CA_FILE) and name the host you connect to`
        : `Kafka at ${at} closed the connection (${detail}) — it probably expects TLS + SASL: unset STREETWATCH_KAFKA_SECURITY=plaintext and set the CA and SASL user`;
    case 'SW_KAFKA_DENIED':
      return `Kafka at ${at} denied ${sec.sasl?.username ?? 'this client'} an operation (${detail}) — its ACLs do not allow it`;
    case 'SW_KAFKA_UNAVAILABLE':
      return `Kafka at ${at} cannot be reached (${detail})`;
  }
}

/** A StreetwatchError with the classified code and its one-line message (SW_KAFKA_UNAVAILABLE for anything unclassified). */
export function kafkaFailure(err: unknown, brokers: readonly string[], sec: KafkaSecurity): StreetwatchError<KafkaFailureCode> {
  let code = classifyKafkaError(err) ?? 'SW_KAFKA_UNAVAILABLE';
  // A broker that answers the TCP connection and then drops it, when this client speaks no TLS
  // or no SASL: the broker wants what is missing (it does so on every try, so say it at once).
  if (code === 'SW_KAFKA_UNAVAILABLE' && /closed connection|connection closed/i.test(err instanceof Error ? err.message : '')) {
    if (!sec.ssl) code = 'SW_KAFKA_TLS';
    else if (!sec.sasl) code = 'SW_KAFKA_AUTH';
  }
  return new StreetwatchError(code, describeKafkaFailure(code, brokers, sec, err), { cause: err, retryable: code === 'SW_KAFKA_UNAVAILABLE' });
}

export interface CheckKafkaSettings extends KafkaSecurity {
  readonly brokers: readonly string[];
  readonly clientId?: string;
}

/**
 * Connect once and ask for the cluster's metadata, bounded: resolves when the broker answers,
 * throws at once on SW_KAFKA_AUTH / SW_KAFKA_TLS (retrying cannot help), and SW_KAFKA_UNAVAILABLE
 * when nothing answered within `timeoutMs`. Entry points call it before their consumers start, so
 * a bad password or certificate stops the service with one line instead of a retry loop.
 */
export async function checkKafka(s: CheckKafkaSettings, opts: { timeoutMs?: number; log?: Logger } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const kafka = new kafkajs.Kafka({
    clientId: s.clientId ?? 'streetwatch-check',
    brokers: [...s.brokers],
    connectionTimeout: 3000,
    requestTimeout: 5000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
    ...kafkajsSecurity(s),
  });
  for (;;) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      return;
    } catch (err) {
      const failure = kafkaFailure(err, s.brokers, s);
      if (failure.code !== 'SW_KAFKA_UNAVAILABLE' || Date.now() > deadline) throw failure;
      opts.log?.debug({ code: failure.code }, 'Kafka not answering yet');
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * For entry points, before anything connects: false (after ONE fatal log line with the code)
 * when Kafka refuses the credentials or the certificate, so main exits 1 instead of retrying for
 * ever; true otherwise. A broker that is merely not up yet is a warning: the clients' own retries
 * go on as before.
 */
export async function preflightKafka(s: CheckKafkaSettings, log: Logger, timeoutMs = 10_000): Promise<boolean> {
  try {
    await checkKafka(s, { timeoutMs, log });
    return true;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SW_KAFKA_AUTH' || code === 'SW_KAFKA_TLS') {
      log.fatal({ code }, (err as Error).message);
      return false;
    }
    log.warn({ code }, (err as Error).message);
    return true;
  }
}
