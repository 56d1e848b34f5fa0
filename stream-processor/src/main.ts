#!/usr/bin/env node
/**
 * Entry point: `node dist/main.js --config <file>` runs the processor;
 * `node dist/main.js --validate-config <file>` checks a file and exits 0/1.
 * Kafka and PostgreSQL settings come from the environment (STREETWATCH_KAFKA_BROKERS, PG*).
 * SIGHUP or a change of the file reloads the rules; SIGINT/SIGTERM shut down gracefully.
 */
import { parseArgs } from 'node:util';
import { ConfigError, createKafka, createLogger, createPool, createRegistry, logLevelFromEnv, onSignals, preflightKafka, stackSettings } from '@streetwatch/platform';
import { ProcessorApp } from './app.js';
import { loadProcessorConfig, validateProcessorConfig } from './config/load.js';
import { ConfigWatcher } from './config/watch.js';

async function main(): Promise<number | undefined> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'validate-config': { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
    },
  });
  if (values['validate-config']) {
    return validateProcessorConfig(
      values['validate-config'],
      (l) => process.stdout.write(l + '\n'),
      (l) => process.stderr.write(l + '\n'),
    );
  }
  const file = values.config ?? process.env.STREETWATCH_PROCESSOR_CONFIG;
  if (!file) {
    process.stderr.write('usage: stream-processor --config <rules.yaml> | --validate-config <rules.yaml>\n');
    return 2;
  }
  let config;
  try {
    config = loadProcessorConfig(file);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.lines()) process.stderr.write(line + '\n');
      return 1;
    }
    throw e;
  }
  const stack = stackSettings(process.env);
  const { level, deprecation } = logLevelFromEnv(process.env, config.settings.logLevel);
  const log = createLogger({ name: 'stream-processor', level });
  if (deprecation) log.warn(deprecation);
  const registry = createRegistry('stream-processor');
  let kafkaSettings;
  try {
    kafkaSettings = stack.kafka; // TLS CA + SASL user and password, resolved here
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines()) log.fatal(line);
    return 1;
  }
  // A wrong password or certificate: one line and exit 1, not kafkajs retrying for ever.
  if (!(await preflightKafka(kafkaSettings, log))) return 1;
  const kafka = createKafka({ ...kafkaSettings, clientId: `stream-processor-${process.pid}` }, log);
  const pool = createPool({ ...stack.pg, applicationName: 'stream-processor' });
  const app = new ProcessorApp(config, { kafka, pool, pgTarget: stack.pg, registry, log });

  let reloading = Promise.resolve();
  const reload = (why: string): void => {
    reloading = reloading.then(async () => {
      log.info({ why, file }, 'reloading rules');
      await app.reloadFile(file);
    });
  };
  const watcher = new ConfigWatcher(file, () => reload('file changed'));
  process.on('SIGHUP', () => reload('SIGHUP'));
  onSignals(log, async () => {
    watcher.close();
    const failures = await app.close();
    await pool.end().catch(() => undefined);
    return failures.length === 0;
  });
  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'start failed');
    await app.close(5000);
    await pool.end().catch(() => undefined);
    return 1;
  }
  if (!values['no-watch']) watcher.start();
  return undefined;
}

main().then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`stream-processor: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
