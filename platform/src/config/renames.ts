/**
 * Renamed config keys keep working for one version. Before validation, an old key is moved to its
 * new name and one deprecation line per rename is returned, for the service to log once its
 * logger exists; a config that sets both the old and the new key is refused, naming both paths.
 * Each rename is listed in the README's configuration reference until the version that refuses it.
 */
import type { FieldError } from '@streetwatch/schemas';
import { dotted } from '../config.js';

export interface KeyRename {
  /** JSON pointer of the objects that hold the key; `*` stands for any array index or object key. */
  readonly at: string;
  readonly from: string;
  readonly to: string;
}

export interface Renamed {
  /** A copy of the input with the old keys moved (the input is not changed). */
  readonly value: unknown;
  /** One line per rename that was used: where, how many times, and the new name. */
  readonly deprecations: string[];
  readonly errors: FieldError[];
}

export function applyRenames(raw: unknown, renames: readonly KeyRename[]): Renamed {
  const value = structuredClone(raw);
  const deprecations: string[] = [];
  const errors: FieldError[] = [];
  for (const r of renames) {
    const used: string[] = [];
    for (const { obj, path } of holders(value, r.at.split('/').slice(1), '')) {
      if (!Object.prototype.hasOwnProperty.call(obj, r.from)) continue;
      if (Object.prototype.hasOwnProperty.call(obj, r.to)) {
        errors.push({ path: `${path}/${r.from}`, message: `is the old name of ${dotted(`${path}/${r.to}`)}, which is set too: keep only ${r.to}` });
        delete obj[r.from]; // reported once, here, not again as an unknown key
        continue;
      }
      obj[r.to] = obj[r.from];
      delete obj[r.from];
      used.push(`${path}/${r.from}`);
    }
    const line = usedLine(used, `"${r.from}" is deprecated and will be refused in the next version; call it "${r.to}"`);
    if (line !== undefined) deprecations.push(line);
  }
  return { value, deprecations, errors };
}

/** A secret key that used the old object form `{ secretEnv } | { secretFile }`. */
export interface SecretObjectField {
  /** JSON pointer of the objects that hold the key; `*` stands for any array index or object key. */
  readonly at: string;
  readonly field: string;
}

/**
 * The router's old spelling of a secret, `field: { secretEnv: X }` / `field: { secretFile: P }`,
 * becomes the one spelling `fieldEnv: X` / `fieldFile: P` (platform `secretFieldSchema`), with
 * one deprecation line per field used. Setting the old object and a new key both is refused,
 * naming both paths; an object of another shape is left for the schema to refuse (unknown key).
 */
export function applySecretObjects(raw: unknown, fields: readonly SecretObjectField[]): Renamed {
  const value = structuredClone(raw);
  const deprecations: string[] = [];
  const errors: FieldError[] = [];
  for (const f of fields) {
    const used: string[] = [];
    let example = '';
    for (const { obj, path } of holders(value, f.at.split('/').slice(1), '')) {
      const old = obj[f.field];
      if (old === null || typeof old !== 'object' || Array.isArray(old)) continue;
      const o = old as Record<string, unknown>;
      const keys = Object.keys(o);
      const kind = keys.length === 1 && (keys[0] === 'secretEnv' || keys[0] === 'secretFile') ? (keys[0] === 'secretEnv' ? 'Env' : 'File') : undefined;
      if (kind === undefined) continue;
      const newKeys = [`${f.field}Env`, `${f.field}File`].filter((k) => Object.prototype.hasOwnProperty.call(obj, k));
      if (newKeys.length > 0) {
        errors.push({ path: `${path}/${f.field}`, message: `is the old form of ${dotted(`${path}/${newKeys[0] as string}`)}, which is set too: keep only ${newKeys[0] as string}` });
        delete obj[f.field];
        continue;
      }
      obj[`${f.field}${kind}`] = o[`secret${kind}`];
      delete obj[f.field];
      used.push(`${path}/${f.field}`);
      if (example === '') example = `${f.field}${kind}: ${String(o[`secret${kind}`])}`;
    }
    const line = usedLine(used, `the { secretEnv | secretFile } object is deprecated and will be refused in the next version; write ${f.field}Env or ${f.field}File (e.g. "${example}")`);
    if (line !== undefined) deprecations.push(line);
  }
  return { value, deprecations, errors };
}

/** One deprecation line for the old keys used at `used` (the first path, and how many more), or none. */
function usedLine(used: readonly string[], what: string): string | undefined {
  const first = used[0];
  if (first === undefined) return undefined;
  const more = used.length > 1 ? ` (and ${used.length - 1} more)` : '';
  return `config key ${dotted(first)}${more}: ${what}`;
}

function* holders(node: unknown, segs: readonly string[], path: string): Generator<{ obj: Record<string, unknown>; path: string }> {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = segs;
  if (head === undefined) {
    if (!Array.isArray(node)) yield { obj: node as Record<string, unknown>, path };
    return;
  }
  const entries: Array<[string, unknown]> = head === '*' ? Object.entries(node) : [[head, (node as Record<string, unknown>)[head]]];
  for (const [k, v] of entries) yield* holders(v, rest, `${path}/${k}`);
}
