/**
 * Entry point: `node dist/main.js --config gateway.yaml` runs the gateway;
 * `--validate-config gateway.yaml` checks a file and exits 0 (valid) or 1 (one line per problem,
 * by key path). The only place that reads the environment, handles signals and exits.
 *
 * Environment: STREETWATCH_KAFKA_BROKERS (when the config names no brokers), STREETWATCH_LOG_LEVEL
 * (overrides log.level; the old LOG_LEVEL still works this version, with a deprecation line), and the variables the config names in cameras' `passwordEnv` (read once, here).
 */
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, createRegistry, logLevelFromEnv, onSignals, stackSettings } from '@streetwatch/platform';
import { loadGatewayConfig, validateGatewayConfigFile } from './config/parse.js';
import { EDGE_REDACT_PATHS } from './config/secrets.js';
import { Gateway } from './pipeline/gateway.js';

const USAGE = 'usage: edge-gateway --config <file.yaml> | --validate-config <file.yaml>';

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({ options: { config: { type: 'string' }, 'validate-config': { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const { values } = args;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const check = values['validate-config'];
  if (check !== undefined) {
    const code = validateGatewayConfigFile(
      check,
      (l) => process.stdout.write(`${l}\n`),
      (l) => process.stderr.write(`${l}\n`),
      { env: process.env },
    );
    process.exit(code);
  }
  if (values.config === undefined) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }

  let config;
  const deprecated: string[] = [];
  try {
    config = loadGatewayConfig(values.config, { env: process.env }, (line) => deprecated.push(line));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines()) process.stderr.write(`${line}\n`);
    process.exit(1);
  }

  const { level, deprecation } = logLevelFromEnv(process.env, config.log.level);
  const log = createLogger({ name: 'edge-gateway', level, redact: EDGE_REDACT_PATHS });
  if (deprecation) log.warn(deprecation);
  for (const line of deprecated) log.warn(line);
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    process.exit(1);
  });
  const registry = createRegistry('edge-gateway');
  let kafkaSettings;
  try {
    kafkaSettings = stackSettings(process.env).kafka;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.lines()) log.fatal(line);
    process.exit(1);
  }
  const { brokers: defaultBrokers, clientId: _clientId, ...kafkaSecurity } = kafkaSettings;
  const gateway = new Gateway(config, { log, registry, defaultBrokers, kafkaSecurity });
  onSignals(log, async () => {
    const report = await gateway.close();
    log.info(
      { violationsClosed: report.violationsClosed, flushed: report.flush?.drained ?? false, left: report.flush?.left, failures: report.failures.map((f) => f.name) },
      'shutdown complete',
    );
    return report.failures.length === 0;
  });
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err, code: (err as { code?: unknown }).code }, 'gateway could not start');
    process.exit(1);
  }
}

await main();
