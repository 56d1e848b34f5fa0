import kafkajs, { type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';

const { Kafka: KafkaClient, logLevel } = kafkajs;
import type { Logger } from 'pino';

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Bound on connecting to a broker (ms). */
  readonly connectionTimeout?: number;
  readonly requestTimeout?: number;
  /** Retries of kafkajs' own retrier for one request. */
  readonly retries?: number;
}

/** kafkajs client whose logs go through pino (warn and up) instead of its own console logger. */
export function createKafka(s: KafkaSettings, log: Logger): Kafka {
  const klog = log.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: s.clientId,
    brokers: [...s.brokers],
    connectionTimeout: s.connectionTimeout ?? 3000,
    requestTimeout: s.requestTimeout ?? 30000,
    retry: { retries: s.retries ?? 8, initialRetryTime: 200, maxRetryTime: 5000 },
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
