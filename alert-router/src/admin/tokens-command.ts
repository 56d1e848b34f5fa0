/**
 * `alert-router tokens <issue|list|revoke>`: the admin's way to give out, rotate and withdraw API
 * tokens (table `api_tokens`, shared by every router instance). Talks to the PostgreSQL the stack
 * settings name (PG* variables), applies the router's migrations first, checks users against the
 * config's `workOrders.users`.
 *
 *   tokens issue  --config router.yaml --user <id> [--days N] [--label text]
 *       prints the new token on stdout (once: it is not stored), its id and expiry on stderr
 *   tokens list   --config router.yaml [--user <id>]     id, user, label, created, expires, state
 *   tokens revoke --config router.yaml <id>              refused from the next request on
 *
 * Rotation: issue a new token, hand it over, revoke the old one once the new one is in use (both
 * are valid in between), or let the old one expire.
 */
import { parseArgs } from 'node:util';
import { ConfigError, checkPool, createPool, parseConfig, stackSettings } from '@streetwatch/platform';
import { loadRouterConfig } from '../config/load.js';
import type { RouterConfig } from '../config/schema.js';
import { migrateRouter } from '../pipeline.js';
import { WorkOrdersConfig } from '../workorders/config.js';
import { WorkOrderError } from '../workorders/errors.js';
import { ApiTokens } from '../api/tokens.js';

export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

const USAGE = 'usage: alert-router tokens issue --config <file> --user <id> [--days N] [--label text]\n' +
  '       alert-router tokens list --config <file> [--user <id>]\n' +
  '       alert-router tokens revoke --config <file> <id>';

/** Runs the command; returns the exit code (0 ok, 1 refused, 2 usage). */
export async function tokensCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { config: { type: 'string' }, user: { type: 'string' }, days: { type: 'string' }, label: { type: 'string' } },
    });
  } catch (e) {
    io.err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const [verb, ...rest] = parsed.positionals;
  const { config: file, user, days, label } = parsed.values;
  if (!file || !verb || !['issue', 'list', 'revoke'].includes(verb)) {
    io.err(USAGE);
    return 2;
  }
  let cfg: RouterConfig;
  try {
    cfg = loadRouterConfig(file, io.err);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const l of e.lines()) io.err(l);
    return 1;
  }
  const wo = cfg.workOrders ?? parseConfig(WorkOrdersConfig, {}, `${file}#workOrders`);
  const settings = stackSettings(io.env);
  const pool = createPool({ ...settings.pg, applicationName: 'alert-router-tokens', max: 2 });
  try {
    await checkPool(pool, settings.pg);
    await migrateRouter(pool);
    const tokens = new ApiTokens(pool);
    if (verb === 'issue') {
      if (!user) {
        io.err(`tokens issue: --user is required\n${USAGE}`);
        return 2;
      }
      if (!wo.users.some((u) => u.id === user)) throw new WorkOrderError('SW_ROUTER_TOKEN_USER_UNKNOWN', `no user ${user} in ${file} workOrders.users`);
      const n = days === undefined ? wo.api.tokenDays : Number(days);
      if (!Number.isInteger(n) || n < 1 || n > 400) {
        io.err(`tokens issue: --days must be a whole number 1..400, got ${days}`);
        return 2;
      }
      const { token, row } = await tokens.issue(user, new Date(Date.now() + n * 86_400_000), label);
      io.out(token);
      io.err(`issued token ${row.id} for ${row.userId}, expires ${row.expiresAt.toISOString()} (shown once; not stored)`);
      return 0;
    }
    if (verb === 'list') {
      for (const r of await tokens.list(user)) {
        const state = r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : r.expiresAt <= new Date() ? 'expired' : 'valid';
        io.out([r.id, r.userId, r.label ?? '-', r.createdAt.toISOString(), r.expiresAt.toISOString(), state].join('\t'));
      }
      return 0;
    }
    const id = rest[0];
    if (!id) {
      io.err(`tokens revoke: which token id?\n${USAGE}`);
      return 2;
    }
    const r = await tokens.revoke(id);
    io.err(`revoked token ${r.id} of ${r.userId}`);
    return 0;
  } catch (e) {
    if (e instanceof WorkOrderError) {
      io.err(`${e.code}: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    await pool.end();
  }
}
