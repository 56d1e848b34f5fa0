/**
 * A private, real Apache Kafka broker for tests that must stop and restart a broker (outage
 * tests). The shared stack broker must never be stopped by a test: other tests use it.
 *
 * Same jars as the stack (`$STREETWATCH_KAFKA_HOME/lib`), same server.properties settings as
 * deploy/local/lib/kafka.sh (one KRaft node, broker+controller, replication factor 1), but its own
 * free ports and its own temp data dir. `stop()` sends SIGTERM (controlled shutdown; data kept),
 * `start()` brings it back on the SAME ports so clients reconnect. Teardown kills it and removes
 * the data dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import kafkajs from 'kafkajs';
import { kafkajsSecurity, kafkaSecurityFromEnv, type KafkaSecurity } from '../kafka/security.js';
import type { TeardownHost } from './wait.js';

const { Kafka, logLevel } = kafkajs;

export interface PrivateBrokerOptions {
  /** Folder with lib/*.jar; default $STREETWATCH_KAFKA_HOME, else the stack's cache path. */
  readonly kafkaHome?: string;
  /** java executable; default $STREETWATCH_JAVA or `java`. */
  readonly java?: string;
  /** JVM heap options; default small (a test broker holds a few topics). */
  readonly heap?: readonly string[];
  /** Bound on each start (format + launch + metadata answered). */
  readonly readyTimeoutMs?: number;
  /** Bound on a SIGTERM stop before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /** Client security (the stack's admin user and CA); default from the environment (.stack/env). */
  readonly security?: KafkaSecurity;
}

export interface PrivateBroker {
  /** `127.0.0.1:<port>`, stable across stop/start. */
  readonly brokers: string[];
  /** TLS + SASL settings for clients (the admin, a super user): spread into createKafka. */
  readonly security: KafkaSecurity;
  readonly port: number;
  readonly dataDir: string;
  /** Broker log (server output), for diagnosing a failed test. */
  readonly logFile: string;
  /** SIGTERM (controlled shutdown), wait for the process to exit; data is kept. Idempotent. */
  stop(): Promise<void>;
  /** Start again on the same ports with the same data; resolves when metadata is answered. Idempotent. */
  start(): Promise<void>;
  readonly running: boolean;
}

/** A free TCP port on loopback (bind port 0, read it, release it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Random base64url UUID as `kafka-storage random-uuid` makes (not starting with '-'). */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** The stack's broker settings and logging (deploy/local/kafka/), shared so the two cannot drift. */
const KAFKA_CONF = fileURLToPath(new URL('../../../deploy/local/kafka/', import.meta.url));

/**
 * The stack's template, filled in. TLS: the stack's CA and broker certificate (the folder of
 * STREETWATCH_KAFKA_SSL_CA_FILE holds broker.pem too; the certificate names 127.0.0.1, any port).
 */
function serverProperties(dir: string, port: number, cport: number, tlsDir: string, admin: { username: string; password: string }): string {
  return readFileSync(join(KAFKA_CONF, 'server.properties.template'), 'utf8')
    .replaceAll('@PORT@', String(port))
    .replaceAll('@CPORT@', String(cport))
    .replaceAll('@LOG_DIRS@', join(dir, 'data'))
    .replaceAll('@TLS_DIR@', tlsDir)
    .replaceAll('@ADMIN_USER@', admin.username)
    .replaceAll('@ADMIN_PASSWORD@', admin.password);
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const gone = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return gone;
}

/** Start a private one-node KRaft broker; killed and deleted in `t`'s teardown. */
export async function startPrivateBroker(t: TeardownHost, opts: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
  const home = opts.kafkaHome ?? process.env.STREETWATCH_KAFKA_HOME ?? join(homedir(), '.cache/streetwatch/kafka-4.1.1');
  const lib = join(home, 'lib');
  if (!existsSync(lib)) {
    throw new Error(`no Kafka jars in ${lib}: run \`npm run stack:up\` (it fetches them) or set STREETWATCH_KAFKA_HOME`);
  }
  const java = opts.java ?? process.env.STREETWATCH_JAVA ?? 'java';
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
  const security = opts.security ?? kafkaSecurityFromEnv(process.env);
  const sasl = security.sasl;
  const caFile = security.ssl?.caFile;
  if (!sasl || caFile === undefined) {
    throw new Error('the private broker needs the stack\'s CA and admin user: source .stack/env (STREETWATCH_KAFKA_SSL_CA_FILE, STREETWATCH_KAFKA_SASL_*)');
  }
  const tlsDir = dirname(caFile);
  if (!existsSync(join(tlsDir, 'broker.pem'))) throw new Error(`no broker.pem beside ${caFile}: run \`npm run stack:up\` (it makes the certificates)`);
  const dir = mkdtempSync(join(tmpdir(), 'sw-broker-'));
  const port = await freePort();
  let cport = await freePort();
  while (cport === port) cport = await freePort();
  const props = join(dir, 'server.properties');
  const logFile = join(dir, 'kafka.log');
  writeFileSync(props, serverProperties(dir, port, cport, tlsDir, sasl), { mode: 0o600 });
  const jvm = [
    ...(opts.heap ?? ['-Xms128m', '-Xmx512m']),
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(KAFKA_CONF, 'log4j2.xml')}`,
    `-Dstreetwatch.kafka.log=${logFile}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    `${lib}/*`,
  ];
  const brokers = [`127.0.0.1:${port}`];
  let child: ChildProcess | undefined;
  let closed = false;
  const isRunning = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const run = (args: string[]): ChildProcess => {
    const fd = openSync(logFile, 'a');
    try {
      return spawn(java, [...jvm, ...args], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
  };
  // Belt and braces: if the test process exits without teardown, do not leave a JVM behind.
  const onExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', onExit);
  // A killed test process (SIGKILL, or SIGTERM without handlers) runs no exit hook, and
  // PR_SET_PDEATHSIG does not fire on these machines: a tiny shell watchdog kills this broker's
  // JVM (checked by its command line) and its data dir once the test process is gone.
  const watchdog = (proc: ChildProcess): void => {
    if (proc.pid === undefined) return;
    const script =
      'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
      'if ! kill -0 "$1" 2>/dev/null && grep -qF "$3" "/proc/$2/cmdline" 2>/dev/null; then kill -KILL "$2"; sleep 1; rm -rf "$4"; fi';
    const wd = spawn('sh', ['-c', script, 'sw-broker-watchdog', String(process.pid), String(proc.pid), props, dir], {
      stdio: 'ignore',
      detached: true,
    });
    wd.unref();
  };

  t.teardown(async () => {
    closed = true;
    const proc = child;
    if (proc && isRunning()) {
      proc.kill('SIGKILL');
      await waitExit(proc, 10_000);
    }
    process.removeListener('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  });
  const format = run([
    'kafka.tools.StorageTool',
    'format',
    '--standalone',
    '-t',
    clusterId(),
    '-c',
    props,
    '--add-scram',
    `SCRAM-SHA-512=[name=${sasl.username},password=${sasl.password}]`,
  ]);
  if (!(await waitExit(format, readyTimeoutMs))) {
    format.kill('SIGKILL');
    throw new Error(`formatting the private broker's storage took over ${readyTimeoutMs} ms; log:\n${tail(logFile)}`);
  }
  if (format.exitCode !== 0) throw new Error(`formatting the private broker's storage failed; log:\n${tail(logFile)}`);

  const ready = async (proc: ChildProcess): Promise<void> => {
    const kafka = new Kafka({
      clientId: 'private-broker-probe',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 3000,
      retry: { retries: 0 },
      ...kafkajsSecurity(security),
    });
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`the private broker exited during start-up (code ${proc.exitCode}); log:\n${tail(logFile)}`);
      }
      const admin = kafka.admin();
      try {
        await admin.connect();
        const c = await admin.describeCluster();
        if (c.brokers.length > 0 && c.controller !== null) return;
      } catch {
        // not yet
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        throw new Error(`the private broker did not answer metadata on ${brokers[0]} within ${readyTimeoutMs} ms; log:\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  const broker: PrivateBroker = {
    brokers,
    security,
    port,
    dataDir: dir,
    logFile,
    get running() {
      return isRunning();
    },
    async start() {
      if (closed) throw new Error('private broker already torn down');
      if (isRunning()) return;
      const proc = run(['kafka.Kafka', props]);
      child = proc;
      watchdog(proc);
      try {
        await ready(proc);
      } catch (e) {
        proc.kill('SIGKILL');
        await waitExit(proc, 10_000);
        throw e;
      }
    },
    async stop() {
      const proc = child;
      if (!proc || !isRunning()) return;
      proc.kill('SIGTERM');
      if (!(await waitExit(proc, stopTimeoutMs))) {
        proc.kill('SIGKILL');
        await waitExit(proc, 10_000);
      }
    },
  };

  await broker.start();
  return broker;
}
