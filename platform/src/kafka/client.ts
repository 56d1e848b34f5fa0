import kafkajs, { type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;
import type { Logger } from 'pino';
import { kafkajsSecurity, type KafkaSecurity } from './security.js';

export interface KafkaSettings extends KafkaSecurity {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Bound on connecting to a broker (ms). */
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  /** Retries of kafkajs' own retrier for one request. */
  readonly retries?: number;
}

/**
 * kafkajs client whose logs go through pino (warn and up) instead of its own console logger.
 * `ssl` / `sasl` (kafka/security.ts) make it connect over TLS with SCRAM-SHA-512; the settings
 * object holds the password, so it is never logged (only the user name and brokers are).
 */
export function createKafka(s: KafkaSettings, log: Logger): Kafka {
  const klog = log.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: s.clientId,
    brokers: [...s.brokers],
    connectionTimeout: s.connectionTimeout ?? 3000,
    requestTimeout: s.requestTimeout ?? 30000,
    retry: { retries: s.retries ?? 8, initialRetryTime: 200, maxRetryTime: 5000 },
    ...kafkajsSecurity(s),
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) klog.error(rest, message);
        else if (level === logLevel.WARN) klog.warn(rest, message);
        else klog.debug(rest, message);
      },
  };
  return new KafkaClient(config);
}
