import { Type, type Static } from '@sinclair/typebox';

export const PublisherConfigSchema = Type.Object(
  {
    topicPrefix: Type.String({ maxLength: 100, default: '', description: 'topic namespace prefix (tests, staging); empty in production' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 10000, default: 200, description: 'outbox records per produce request' }),
    backoffInitialMs: Type.Integer({ minimum: 1, default: 200, description: 'first wait after a failed send or connect' }),
    backoffMaxMs: Type.Integer({ minimum: 1, default: 10000, description: 'cap of the exponential backoff' }),
    backoffJitter: Type.Number({ minimum: 0, maximum: 1, default: 0.2, description: 'each wait is drawn from [1-j, 1+j] x the step' }),
    idleMs: Type.Integer({ minimum: 10, default: 1000, description: 'with nothing to send: refresh gauges and expire old records this often' }),
    sendTimeoutMs: Type.Integer({ minimum: 100, default: 30000, description: 'broker-side timeout of one produce request (acks=all)' }),
    producerRetries: Type.Integer({
      minimum: 1,
      default: 2,
      description: "kafkajs' own retries of one request before the publisher's backoff takes over (the same batch is retried unchanged)",
    }),
    maxMessageBytes: Type.Integer({
      minimum: 1024,
      default: 1000000,
      description: 'a message larger than this is rejected locally (the topic refuses it: it would block the queue)',
    }),
    closeTimeoutMs: Type.Integer({ minimum: 10, default: 5000, description: 'bound on stopping the loop and disconnecting the producer' }),
  },
  { additionalProperties: false },
);
export type PublisherConfig = Static<typeof PublisherConfigSchema>;
