// Renders a config template: every `${NAME}` is replaced by the environment variable NAME.
// A name that is not set is an error (all of them are listed), so a config never runs half-filled.
//   node render.mjs <template.yaml> <out.yaml>
import { readFileSync, writeFileSync } from 'node:fs';

const [template, out] = process.argv.slice(2);
if (!template || !out) {
  process.stderr.write('usage: render.mjs <template> <out>\n');
  process.exit(2);
}
const missing = new Set();
const text = readFileSync(template, 'utf8').replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_m, name) => {
  const v = process.env[name];
  if (v === undefined || v === '') {
    missing.add(name);
    return '';
  }
  return v;
});
if (missing.size > 0) {
  process.stderr.write(`demo: ${template} needs ${[...missing].join(', ')} (not set)\n`);
  process.exit(1);
}
writeFileSync(out, text, { mode: 0o600 });
