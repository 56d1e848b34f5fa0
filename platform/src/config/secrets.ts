/**
 * Secrets named in config, never inline: an environment variable or a file holds the value.
 * A service resolves every reference once, at start, in its config loading (the entry point
 * passes the environment in; modules never read `process.env`), and reports a missing one by
 * the config key that names it. The problem text names the variable or file, never the value.
 *
 * One spelling everywhere: a secret `field` is named by `<field>Env` (a variable) or `<field>File`
 * (a path), exactly one of the two: `secretFieldSchema` gives the schema's two keys,
 * `resolveSecretField` reads them (problems by config path). The edge's camera passwords, the
 * object store's key, the ops and live tokens, the router's users, channels and signing keys all
 * use these two. (The router's old `{ secretEnv } | { secretFile }` object form is converted by
 * `applySecretObjects` in renames.ts, with a deprecation line, for one version.)
 */
import { readFileSync } from 'node:fs';
import { Type, type TOptional, type TString } from '@sinclair/typebox';
import type { FieldError } from '@streetwatch/schemas';
import { dotted } from '../config.js';

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

/** The two keys that name secret `field`: `<field>Env` and `<field>File`. */
export type SecretFieldKeys<F extends string> = `${F}Env` | `${F}File`;
export type SecretFieldProps<F extends string> = { [K in SecretFieldKeys<F>]: TOptional<TString> };
/** What a config object holding secret `field` looks like once validated. */
export type SecretFieldValues<F extends string> = { readonly [K in SecretFieldKeys<F>]?: string };

/**
 * Schema keys for secret `field`, to spread into a `Type.Object`: `<field>Env` (the name of an
 * environment variable) and `<field>File` (a file's path, e.g. a mounted Secret). The schema lets
 * both be absent; `resolveSecretField` requires exactly one (or at most one, when optional) and
 * names both paths when both are set.
 */
export function secretFieldSchema<F extends string>(field: F, opts: { what?: string; envPattern?: string } = {}): SecretFieldProps<F> {
  const what = opts.what ?? field;
  return {
    [`${field}Env`]: Type.Optional(
      Type.String({ minLength: 1, maxLength: 256, ...(opts.envPattern !== undefined && { pattern: opts.envPattern }), description: `environment variable holding ${what}` }),
    ),
    [`${field}File`]: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: `file holding ${what} (e.g. a mounted Secret)` })),
  } as SecretFieldProps<F>;
}

export type SecretFieldResult =
  | { readonly ok: true; readonly value: string | undefined }
  | { readonly ok: false; readonly error: FieldError; readonly cause?: unknown };

/**
 * Read secret `field` of `holder` (a validated config object at JSON pointer `at`, e.g.
 * `/channels/duty`): its `<field>Env` or `<field>File`. A problem names the key's path
 * (`/channels/duty/signSecretEnv`) and the variable or file, never the value. `optional`: neither
 * key set gives `value: undefined` instead of a problem.
 */
export function resolveSecretField(holder: object, field: string, at: string, ctx: SecretContext, opts: { optional?: boolean } = {}): SecretFieldResult {
  const h = holder as Record<string, unknown>;
  const envKey = `${field}Env`;
  const fileKey = `${field}File`;
  const env = h[envKey];
  const file = h[fileKey];
  if (typeof env === 'string' && typeof file === 'string') {
    return { ok: false, error: { path: `${at}/${fileKey}`, message: `set one of ${envKey}, ${fileKey}: ${dotted(`${at}/${envKey}`)} is set too` } };
  }
  if (typeof env !== 'string' && typeof file !== 'string') {
    if (opts.optional === true) return { ok: true, value: undefined };
    return { ok: false, error: { path: `${at}/${envKey}`, message: `give one of ${envKey}, ${fileKey} (the ${field} is never inline)` } };
  }
  const r = readSecret(typeof env === 'string' ? { env } : { file: file as string }, ctx);
  if (r.ok) return { ok: true, value: r.value };
  return { ok: false, error: { path: `${at}/${typeof env === 'string' ? envKey : fileKey}`, message: r.problem }, ...(r.cause !== undefined && { cause: r.cause }) };
}
