import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import YAML from 'yaml';
import { StreetwatchError } from './errors.js';
import { toFieldErrors, type FieldError } from '@streetwatch/schemas';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Config is validated once at start against one schema: defaults filled in, unknown keys refused
 * (every object in a config schema must set `additionalProperties: false`), errors reported by key
 * path, then deep-frozen and passed down.
 */
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true });
addFormats(ajv);

export class ConfigError extends StreetwatchError<'SW_CONFIG_INVALID' | 'SW_CONFIG_UNREADABLE'> {
  constructor(
    code: 'SW_CONFIG_INVALID' | 'SW_CONFIG_UNREADABLE',
    readonly source: string,
    readonly errors: FieldError[],
    cause?: unknown,
  ) {
    super(code, `${source}: ${errors.map((e) => `${dotted(e.path)}: ${e.message}`).join('; ')}`, { cause });
    this.name = 'ConfigError';
  }
  /** One line per problem: `config.yaml: cameras.1.url: is required`. */
  lines(): string[] {
    return this.errors.map((e) => `${this.source}: ${dotted(e.path)}: ${e.message}`);
  }
}

/** `/cameras/1/url` → `cameras.1.url`; `/` → `(root)`. */
export function dotted(pointer: string): string {
  const p = pointer.replace(/^\//, '').replace(/\//g, '.');
  return p === '' ? '(root)' : p;
}

const validators = new WeakMap<TSchema, ReturnType<Ajv['compile']>>();

/** Validate a plain object as config. Returns a frozen copy with defaults applied. */
export function parseConfig<S extends TSchema>(schema: S, raw: unknown, source = 'config'): Readonly<Static<S>> {
  let fn = validators.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    validators.set(schema, fn);
  }
  const copy = structuredClone(raw ?? {});
  if (!fn(copy)) throw new ConfigError('SW_CONFIG_INVALID', source, toFieldErrors(fn.errors));
  return deepFreeze(copy) as Readonly<Static<S>>;
}

/** Read a YAML or JSON file and validate it as config. */
export function loadConfigFile<S extends TSchema>(schema: S, file: string): Readonly<Static<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError('SW_CONFIG_UNREADABLE', file, [{ path: '/', message: `cannot read file (${(cause as Error).message})` }], cause);
  }
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (cause) {
    const e = cause as Error & { linePos?: Array<{ line: number; col: number }> };
    const at = e.linePos?.[0] ? ` at line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError('SW_CONFIG_UNREADABLE', file, [{ path: '/', message: `not valid YAML${at}` }], cause);
  }
  return parseConfig(schema, raw, file);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/**
 * `--validate-config <file>`: load a config file with the service's own loader (schema plus its
 * cross-field checks) and report. Returns the exit code (0 valid, 1 invalid) for main.ts to exit
 * with; prints one `file: key.path: problem` line per problem to `err`, and a summary to `out`.
 */
export function validateConfigCommand<T>(
  load: (file: string) => T,
  file: string,
  out: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  err: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  summary: (config: T) => string = () => '',
): number {
  try {
    const config = load(file);
    const s = summary(config);
    out(`${file}: valid${s ? ` (${s})` : ''}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.lines()) err(line);
      return 1;
    }
    throw e;
  }
}
