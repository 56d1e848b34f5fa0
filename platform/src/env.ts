/**
 * Connection settings for services and tests. They come from one place: environment variables,
 * whose values `npm run stack:up` writes to `.stack/env`. The defaults are the stack's defaults.
 * Only entry points (main.ts, test helpers) call this; modules receive the result.
 */
import { kafkaSecurityFromEnv, type KafkaSecurity } from './kafka/security.js';

export interface StackKafkaSettings extends KafkaSecurity {
  readonly brokers: string[];
  readonly clientId: string;
}

export interface StackSettings {
  /**
   * Brokers, client id and security (TLS CA + SASL user and password, kafka/security.ts). Resolved
   * when first read, so a caller that only needs PostgreSQL is not stopped by a missing Kafka
   * secret; a missing or unreadable one throws ConfigError naming the variable.
   */
  readonly kafka: StackKafkaSettings;
  readonly pg: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly database: string;
  };
  readonly videoDir: string | undefined;
}

export function stackSettings(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const brokers = (env.STREETWATCH_KAFKA_BROKERS ?? '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  let kafka: StackKafkaSettings | undefined;
  return {
    get kafka(): StackKafkaSettings {
      kafka ??= { brokers, clientId: env.STREETWATCH_KAFKA_CLIENT_ID ?? 'streetwatch', ...kafkaSecurityFromEnv(env) };
      return kafka;
    },
    pg: {
      host: env.PGHOST ?? '127.0.0.1',
      port: Number(env.PGPORT ?? 15432),
      user: env.PGUSER ?? 'streetwatch',
      password: env.PGPASSWORD ?? 'streetwatch',
      database: env.PGDATABASE ?? 'streetwatch',
    },
    videoDir: env.STREETWATCH_VIDEO_DIR,
  };
}

/**
 * The log level an entry point starts with: `STREETWATCH_LOG_LEVEL`, else the config's (or the
 * fallback). `LOG_LEVEL`, which the edge gateway read before, still works for one more version;
 * `deprecation` is then the line to log once the logger exists.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv, fallback: string): { level: string; deprecation?: string } {
  if (env.STREETWATCH_LOG_LEVEL) return { level: env.STREETWATCH_LOG_LEVEL };
  if (env.LOG_LEVEL) {
    return { level: env.LOG_LEVEL, deprecation: 'LOG_LEVEL is deprecated and will be ignored in the next version: set STREETWATCH_LOG_LEVEL instead' };
  }
  return { level: fallback };
}
