import { CONTRACTS, type ContractName } from './contracts.js';
import { allTopicSpecs, departmentTopic, type TopicSpec } from './topics.js';

/** Strip TypeBox's symbol keys and `$id`s so the result is plain JSON Schema. */
export function plainJsonSchema(name: ContractName): Record<string, unknown> {
  return JSON.parse(JSON.stringify(CONTRACTS[name])) as Record<string, unknown>;
}

function channelId(spec: TopicSpec): string {
  return spec.name.replace(/[^A-Za-z0-9]+/g, '_');
}

/**
 * The AsyncAPI 3.0 document for every topic and message, generated from the catalogue and the
 * schemas so it cannot drift from them (a test checks the committed file equals this output).
 */
export function buildAsyncApi(version: string): Record<string, unknown> {
  const specs = [...allTopicSpecs(), { ...departmentTopic('{departmentId}') }];
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const spec of specs) {
    const id = channelId(spec);
    channels[id] = {
      address: spec.name,
      description: spec.description,
      messages: { [spec.contract]: { $ref: `#/components/messages/${spec.contract}` } },
      ...(spec.name.includes('{departmentId}')
        ? { parameters: { departmentId: { description: 'Department id from the routing config.' } } }
        : {}),
      bindings: {
        kafka: {
          topic: spec.name,
          partitions: spec.partitions,
          topicConfiguration: configBinding(spec.config),
          bindingVersion: '0.5.0',
        },
      },
      'x-key': spec.key,
      'x-producers': spec.producers,
      'x-consumers': spec.consumers,
    };
    operations[`publish_${id}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `Produced by ${spec.producers.join(', ') || 'nobody yet'}.`,
    };
  }
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const name of Object.keys(CONTRACTS) as ContractName[]) {
    schemas[name] = plainJsonSchema(name);
    messages[name] = {
      name,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${name}` },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'streetwatch event contracts',
      version,
      description:
        'Topics and messages of the streetwatch pipeline. Generated from schemas/src by `npm run -w schemas generate`; do not edit by hand.',
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { messages, schemas },
  };
}

function configBinding(config: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'cleanup.policy') out['cleanup.policy'] = [v];
    else if (k === 'retention.ms' || k === 'max.message.bytes') out[k] = Number(v);
    else out[`x-${k}`] = v;
  }
  return out;
}
