// Writes schemas/asyncapi.yaml and schemas/json/*.schema.json from the built package.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { CONTRACT_NAMES, buildAsyncApi } from '../dist/index.js';
import { plainJsonSchema } from '../dist/asyncapi.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
writeFileSync(join(root, 'asyncapi.yaml'), YAML.stringify(buildAsyncApi(version), { aliasDuplicateObjects: false }));
mkdirSync(join(root, 'json'), { recursive: true });
for (const name of CONTRACT_NAMES) {
  writeFileSync(join(root, 'json', `${name}.schema.json`), JSON.stringify(plainJsonSchema(name), null, 2) + '\n');
}
console.log('wrote asyncapi.yaml and json/*.schema.json');
