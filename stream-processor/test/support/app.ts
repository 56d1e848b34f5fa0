import type { TestKafka, TestDatabase, ReadMessage } from '@streetwatch/platform/testing';
import { testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { createLogger, stackSettings } from '@streetwatch/platform';
import { TOPICS, type Alert } from '@streetwatch/schemas';
import { ProcessorApp } from '../../src/app.js';
import { parseProcessorConfig } from '../../src/config/load.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** Fast event-time settings for tests: no out-of-orderness, short idle timeout and ticks. */
export const FAST = {
  time: { maxOutOfOrderness: '0s', grace: '0s', idleTimeout: '1s', punctuateInterval: '100ms' },
  checkpoint: { interval: '200ms' },
  consumer: { sessionTimeout: '6s', maxWaitTime: '100ms' },
  sink: { flushInterval: '100ms' },
  ops: { port: 0, host: '127.0.0.1' },
};

export function processorSection(k: TestKafka, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...FAST, groupId: uniqueId('sp'), topicPrefix: k.prefix, ...extra };
}

/**
 * testKafka, retried: creating a dozen topics right after another test deleted its own sometimes
 * fails once with UNKNOWN_TOPIC_OR_PARTITION while the broker settles (provisioning is idempotent).
 */
export async function kafkaFor(t: Teardown, label: string): Promise<TestKafka> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await testKafka(t, { label });
    } catch (e) {
      if (attempt >= 3 || (e as { code?: string }).code !== 'SW_KAFKA_UNAVAILABLE') throw e;
    }
  }
}

/** A processor app on the test broker and database, closed in teardown. */
export async function startApp(
  t: Teardown,
  k: TestKafka,
  db: TestDatabase,
  rules: unknown[],
  processor: Record<string, unknown> = processorSection(k),
): Promise<ProcessorApp> {
  const config = parseProcessorConfig({ processor, rules }, 'test');
  const log = createLogger({ name: 'sp-test', level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = new ProcessorApp(config, { kafka: k.kafka, pool: db.pool, pgTarget: stackSettings().pg, registry: k.registry, log });
  t.teardown(() => app.close(10_000));
  await app.start();
  return app;
}

export const alertsOf = (ms: readonly ReadMessage[]): Alert[] => ms.map((m) => JSON.parse(m.value?.toString() ?? '{}') as Alert);

/** Read the alerts topic until `until` holds on the alerts (deduplicated by alertId). */
export async function readAlerts(k: TestKafka, until: (a: Alert[]) => boolean, timeoutMs = 30_000): Promise<Alert[]> {
  const dedup = (ms: ReadMessage[]): Alert[] => [...new Map(alertsOf(ms).map((a) => [a.alertId, a])).values()];
  return dedup(await k.readAll(TOPICS.alerts, (ms) => until(dedup(ms)), timeoutMs));
}

/**
 * Every alert the processor will produce for what it has consumed: read until the alerts topic's
 * end offsets have been read and have not moved for `quietMs` (timers fired by the punctuator on
 * idle partitions land shortly after the last input is processed). Bounded by `timeoutMs`.
 */
export async function readSettledAlerts(k: TestKafka, quietMs = 3_000, timeoutMs = 90_000): Promise<Alert[]> {
  const topic = `${k.prefix}${TOPICS.alerts.name}`;
  let high = -1;
  let since = Date.now();
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      const offsets = await k.admin.fetchTopicOffsets(topic).catch(() => undefined);
      if (offsets) {
        const sum = offsets.reduce((n, o) => n + Number(o.high), 0);
        if (sum !== high) {
          high = sum;
          since = Date.now();
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  try {
    const dedup = (ms: ReadMessage[]): Alert[] => [...new Map(alertsOf(ms).map((a) => [a.alertId, a])).values()];
    const ms = await k.readAll(TOPICS.alerts, (got) => high >= 0 && got.length >= high && Date.now() - since >= quietMs, timeoutMs);
    return dedup(ms);
  } finally {
    stop = true;
    await poll;
  }
}

/** Value of a counter/gauge series in the registry (sum over series matching `labels`). */
export async function metric(k: TestKafka, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await k.registry.getSingleMetric(name)?.get();
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([key, val]) => v.labels[key] === val))
    .reduce((s, v) => s + v.value, 0);
}

export { waitFor };
