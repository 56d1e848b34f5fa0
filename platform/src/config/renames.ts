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
    const first = used[0];
    if (first !== undefined) {
      const more = used.length > 1 ? ` (and ${used.length - 1} more)` : '';
      deprecations.push(`config key ${dotted(first)}${more}: "${r.from}" is deprecated and will be refused in the next version; call it "${r.to}"`);
    }
  }
  return { value, deprecations, errors };
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
