/**
 * Secrets named in config, never inline: an environment variable or a file holds the value.
 * A service resolves every reference once, at start, in its config loading (the entry point
 * passes the environment in; modules never read `process.env`), and reports a missing one by
 * the config key that names it. The problem text names the variable or file, never the value.
 *
 * The alert router's `secretResolver` (SecretRef `{ secretEnv } | { secretFile }`) and the edge
 * gateway's camera `passwordEnv` / `passwordFile` are both this rule.
 */
import { readFileSync } from 'node:fs';

/** Where a secret is: an environment variable's name or a file's path. */
export type SecretSource = { readonly env: string } | { readonly file: string };

/** What a resolution reads: the environment (main passes `process.env`) and, for tests, a file reader. */
export interface SecretContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

export type SecretResult = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string; readonly cause?: unknown };

/**
 * Read one secret. A file's content loses one trailing newline (`echo pw > file`), nothing else;
 * an empty value is a problem (an unset variable exported as '' is a common mistake).
 */
export function readSecret(source: SecretSource, ctx: SecretContext): SecretResult {
  if ('env' in source) {
    const v = ctx.env[source.env];
    if (v === undefined) return { ok: false, problem: `environment variable ${source.env} is not set` };
    if (v === '') return { ok: false, problem: `environment variable ${source.env} is empty` };
    return { ok: true, value: v };
  }
  let text: string;
  try {
    text = (ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(source.file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    return { ok: false, problem: `secret file ${source.file} cannot be read${typeof code === 'string' ? ` (${code})` : ''}`, cause };
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') return { ok: false, problem: `secret file ${source.file} is empty` };
  return { ok: true, value };
}
