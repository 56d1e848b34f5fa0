import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { CONTRACT_NAMES, TOPICS, allTopicSpecs, buildAsyncApi } from '../src/index.js';
import { plainJsonSchema } from '../src/asyncapi.js';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

t.test('the committed AsyncAPI document equals the one generated from the schemas', async (t) => {
  const committed = YAML.parse(readFileSync(join(root, 'asyncapi.yaml'), 'utf8')) as unknown;
  t.same(committed, JSON.parse(JSON.stringify(buildAsyncApi(pkg.version))), 'run `npm run -w schemas generate` after changing a schema');
});

t.test('the committed JSON Schemas equal the TypeBox sources', async (t) => {
  for (const name of CONTRACT_NAMES) {
    const committed = JSON.parse(readFileSync(join(root, 'json', `${name}.schema.json`), 'utf8')) as unknown;
    t.same(committed, plainJsonSchema(name), name);
  }
});

t.test('every topic is versioned, described and has a channel', async (t) => {
  const doc = buildAsyncApi(pkg.version) as { channels: Record<string, { address: string }> };
  const addresses = Object.values(doc.channels).map((c) => c.address);
  for (const spec of allTopicSpecs()) {
    t.match(spec.name, /^streetwatch\.[a-z-]+\.v\d+(\.dlq)?$/, spec.name);
    t.ok(addresses.includes(spec.name), `${spec.name} is in the AsyncAPI document`);
  }
  t.ok(addresses.includes('streetwatch.dept.{departmentId}.v1'));
});

t.test('every input topic has a dead-letter topic', async (t) => {
  const names = allTopicSpecs().map((s) => s.name);
  for (const spec of Object.values(TOPICS)) {
    if (spec.consumers.some((c) => ['stream-processor', 'alert-router'].includes(c))) {
      t.ok(names.includes(`${spec.name}.dlq`), `${spec.name} has a DLQ`);
    }
  }
});

t.test('shop violations are co-partitioned with inspections (the score rule relies on it)', async (t) => {
  t.equal(TOPICS.shopViolations.partitions, TOPICS.inspections.partitions);
  t.equal(TOPICS.shopViolations.key, TOPICS.inspections.key);
});

t.test('provisioning lists each topic once even when an extra repeats a catalogue topic', async (t) => {
  const names = allTopicSpecs([TOPICS.shopViolations, TOPICS.alerts]).map((s) => s.name);
  t.equal(new Set(names).size, names.length);
});
