/**
 * The alert router's entry point: wires the delivery half (consumer, routing, channels, durable
 * queue) and the work-order half (lifecycle, REST API, console, escalation) through the seams,
 * serves /healthz /readyz /metrics + the APIs, and shuts down in order on SIGTERM/SIGINT.
 *
 *   node dist/main.js --config router.yaml          run
 *   node dist/main.js --validate-config router.yaml  check a config file (exit 0/1)
 *   node dist/main.js tokens issue|list|revoke ...   API tokens (admin/tokens-command.ts)
 *
 * Environment: the stack settings (STREETWATCH_KAFKA_BROKERS, PG*), STREETWATCH_LOG_LEVEL,
 * STREETWATCH_TOPIC_PREFIX (tests), STREETWATCH_ROUTER_CONFIG (instead of --config),
 * STREETWATCH_TRUST_PROXY (replaces http.trustProxy: comma-separated addresses/CIDRs),
 * STREETWATCH_LIVE_SERVE (replaces live.serve: yes | only | no), and the variables config names in
 * its `<field>Env` keys (`signSecretEnv`, `tokenEnv`, ...).
 */
import { parseArgs } from 'node:util';
import {
  ConfigError,
  ContractProducer,
  Lifecycle,
  checkPool,
  createKafka,
  createLogger,
  logLevelFromEnv,
  createOpsServer,
  createPool,
  createRegistry,
  listen,
  onSignals,
  parseConfig,
  preflightKafka,
  provisionTopics,
  stackSettings,
  validateConfigCommand,
} from '@streetwatch/platform';
import { topicsWrittenBy, type Alert } from '@streetwatch/schemas';
import { tokensCommand } from './admin/tokens-command.js';
import { silenceRoutes } from './api/silences.js';
import { registerScreenPage, ScreenFeed, screenRoutes } from './screen/index.js';
import { ClearanceConsumer, clearanceSettings } from './clearance/detections-consumer.js';
import { loadRouterConfig } from './config/load.js';
import type { RouterConfig } from './config/schema.js';
import { ROUTER_REDACT_PATHS, secretResolver } from './config/secrets.js';
import { trustProxyOf } from './config/trust-proxy.js';
import { DeliveryPipeline, migrateRouter } from './pipeline.js';
import { evidenceLinkRoutes, evidenceLinksFrom, registerEvidenceView } from './evidence/index.js';
import { liveApiRoutes, liveFrom, liveServeOf, registerLive, type LiveDeps, type LiveServe } from './live/index.js';
import { RetentionJob } from './retention/job.js';
import type { ConsoleFeed, WorkOrderService } from './seams.js';
import { registerWorkOrderRoutes } from './api/routes.js';
import { WorkOrdersConfig, createWorkOrderService, type WorkOrders } from './workorders/index.js';

const USAGE = 'usage: alert-router --config <file> | --validate-config <file> | tokens issue|list|revoke ...';

async function main(): Promise<void> {
  if (process.argv[2] === 'tokens') {
    const code = await tokensCommand(process.argv.slice(3), {
      env: process.env,
      out: (l) => process.stdout.write(`${l}\n`),
      err: (l) => process.stderr.write(`${l}\n`),
    });
    process.exit(code);
  }
  let values;
  try {
    ({ values } = parseArgs({ options: { config: { type: 'string' }, 'validate-config': { type: 'string' } }, strict: true }));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const validate = values['validate-config'];
  if (validate) {
    const load = (file: string): RouterConfig => loadRouterConfig(file, (line) => process.stderr.write(`${line}\n`));
    const code = validateConfigCommand(load, validate);
    process.exit(code);
  }
  const file = values.config ?? process.env.STREETWATCH_ROUTER_CONFIG;
  if (!file) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  const { level, deprecation } = logLevelFromEnv(process.env, 'info');
  const log = createLogger({ name: 'alert-router', level, redact: ROUTER_REDACT_PATHS });
  if (deprecation) log.warn(deprecation);
  let cfg: RouterConfig;
  let trustProxy: string[];
  let serve: LiveServe;
  try {
    cfg = loadRouterConfig(file, (line) => log.warn(line));
    trustProxy = trustProxyOf(cfg.http.trustProxy, process.env);
    // One instance holds the boxes' live links (k8s: router-live, `only`); the replicas `no`.
    serve = liveServeOf(cfg.live, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const l of e.lines()) log.fatal(l);
      process.exit(1);
    }
    throw e;
  }
  const settings = stackSettings(process.env);
  const prefix = process.env.STREETWATCH_TOPIC_PREFIX ?? '';
  const lifecycle = new Lifecycle(log);
  const registry = createRegistry('alert-router');

  const pool = createPool({ ...settings.pg, applicationName: cfg.instanceId, max: 20 });
  lifecycle.add('postgres', () => pool.end());
  await checkPool(pool, settings.pg);
  await migrateRouter(pool);

  let kafkaSettings;
  try {
    kafkaSettings = settings.kafka; // TLS CA + SASL user and password, resolved here
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const l of e.lines()) log.fatal(l);
    process.exit(1);
  }
  // A wrong password or certificate: one line and exit 1, not kafkajs retrying for ever.
  if (!(await preflightKafka(kafkaSettings, log))) process.exit(1);
  const kafka = createKafka({ ...kafkaSettings, clientId: cfg.instanceId }, log);
  const admin = kafka.admin();
  await admin.connect();
  // Only the topics this router writes (its ACLs allow creating those: schemas/src/access.ts);
  // the set-up job (deploy/docker/provision.mjs) creates the rest as the admin.
  await provisionTopics(admin, topicsWrittenBy('alert-router', Object.keys(cfg.departments)), { prefix });
  await admin.disconnect();
  const producer = new ContractProducer({ prefix }, { kafka, registry });
  await producer.start();
  lifecycle.add('kafka-producer', () => producer.close());
  // The delivery half's own producer (department queues, Delivery events, DLQ): an idempotent
  // producer has one request in flight, so sharing one with the work-order half would serialise both.
  const deliveryProducer = new ContractProducer({ prefix }, { kafka, registry });
  await deliveryProducer.start();
  lifecycle.add('kafka-producer-delivery', () => deliveryProducer.close());
  // Delivery events get their own: a 500-event outbox send would otherwise hold department-queue
  // deliveries behind it.
  const eventsProducer = new ContractProducer({ prefix }, { kafka, registry });
  await eventsProducer.start();
  lifecycle.add('kafka-producer-events', () => eventsProducer.close());

  // The halves need each other (dispatch ↔ notify): late-bound through the seams.
  /** A config problem found while building a part: logged line by line, then exit 1 (never a crash). */
  const orExit = async <T,>(build: () => T): Promise<T> => {
    try {
      return build();
    } catch (e) {
      if (e instanceof ConfigError) {
        for (const l of e.lines()) log.fatal(l);
        await lifecycle.close(5000);
        process.exit(1);
      }
      throw e;
    }
  };
  const evidence = await orExit(() => evidenceLinksFrom(cfg, file, { pool, log, env: process.env, resolveSecret: secretResolver(process.env) }));
  if (evidence) lifecycle.add('evidence-store', () => evidence?.close());
  else log.warn('no evidence section: work orders show their pictures as unavailable and channels send none');
  const live: LiveDeps | undefined = serve === 'no' ? undefined : await orExit(() => liveFrom(cfg, file, { pool, log, registry, resolveSecret: secretResolver(process.env) }));
  /** The alert work: the alert and clearance consumers, delivery polling, retention (not on a live-only instance). */
  const alertWork = serve !== 'only';

  let workOrders: WorkOrders | undefined;
  const dispatcher: WorkOrderService = {
    dispatch: (alert: Alert, departmentId: string, opts?: { deadline?: Date }) => (workOrders as WorkOrders).dispatch(alert, departmentId, opts),
    dispatchMany: (items) => (workOrders as WorkOrders).dispatchMany(items),
    attachClearance: (violationId: string, clearedAt: Date) => (workOrders as WorkOrders).attachClearance(violationId, clearedAt),
  };
  const consoleFeed: ConsoleFeed = { publish: (d, e) => workOrders?.feed.publish(d, e) };
  const pipeline = new DeliveryPipeline(cfg, {
    pool,
    log,
    registry,
    resolveSecret: secretResolver(process.env),
    kafka,
    producer: deliveryProducer,
    eventsProducer,
    prefix,
    consoleFeed,
    ...(evidence ? { evidenceLinks: evidence.links } : {}),
    workOrders: dispatcher,
  });
  workOrders = createWorkOrderService(cfg.workOrders ?? parseConfig(WorkOrdersConfig, {}, `${file}#workOrders`), {
    pool,
    producer,
    notifier: pipeline.notifier,
    registry,
    log,
    env: process.env,
  });
  await workOrders.start();
  lifecycle.add('work-orders', () => workOrders?.close());

  let consuming = false;
  const app = createOpsServer({
    registry,
    log,
    trustProxy,
    readiness: {
      postgres: async () => {
        await pool.query('SELECT 1');
        return { ok: true };
      },
      consumer: () => (alertWork ? { ok: consuming, detail: consuming ? 'consuming' : 'starting' } : { ok: true, detail: 'live view only (live.serve): no consumer' }),
    },
  });
  // Silences live in the delivery half but share the API's auth, rate limits, audit and OpenAPI.
  const silences = silenceRoutes({ silences: pipeline.silences, departments: Object.keys(cfg.departments), onChange: () => pipeline.router.kick() });
  // The overview screen (城市眼): department names from the work-order config, else the routing config.
  const names = new Map(Object.entries(cfg.departments).map(([id, d]) => [id, d.name]));
  for (const d of workOrders.config.departments) names.set(d.id, d.name);
  const screen = cfg.screen.enabled
    ? new ScreenFeed(cfg.screen, {
        pool,
        clock: workOrders.clock,
        log,
        registry,
        timeZone: workOrders.config.timeZone,
        departments: [...names].map(([id, name]) => ({ id, name })),
      })
    : undefined;
  await registerWorkOrderRoutes(app, {
    workOrders,
    scoped: [silences, evidenceLinkRoutes(workOrders, evidence?.links), liveApiRoutes(live), ...(screen ? [screenRoutes(screen)] : [])],
  });
  registerEvidenceView(app, evidence?.links, log);
  await registerLive(app, live, log);
  if (screen) registerScreenPage(app);
  await listen(app, { host: cfg.http.host, port: cfg.http.port });
  lifecycle.add('http', () => app.close());

  // A live-only instance joins no consumer group (the replicas share the partitions; its restarts
  // rebalance nothing) and leaves the queue's polling and retention to them.
  await pipeline.start({ consume: alertWork, poll: alertWork });
  consuming = alertWork;
  lifecycle.add('delivery', () => pipeline.close());
  // Violation ends → clearance evidence; added after the work-order service, so closed before it.
  const clearanceCfg = alertWork ? clearanceSettings(cfg, prefix) : undefined;
  if (clearanceCfg) {
    const clearance = new ClearanceConsumer(clearanceCfg, { kafka, producer, registry, log, workOrders });
    lifecycle.add('clearance', () => clearance.close());
    await clearance.start();
  }
  if (alertWork) {
    const retention = new RetentionJob(cfg.retention, { pool, log, registry, photosDir: workOrders.photos.dir });
    retention.start();
    lifecycle.add('retention', () => retention.close());
  }
  log.info({ departments: Object.keys(cfg.departments).length, channels: Object.keys(cfg.channels).length, live: serve, http: app.server.address() }, 'alert router started');

  onSignals(log, async () => {
    consuming = false;
    const failures = await lifecycle.close(15_000);
    return failures.length === 0;
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`alert-router failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
