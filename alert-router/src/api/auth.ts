import { createHash } from 'node:crypto';
import { resolveSecretField, type Clock, type Pool } from '@streetwatch/platform';
import type { UserConfig } from '../workorders/config.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';
import { ApiTokens, tokenIdOf } from './tokens.js';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** Who a request is, and by which token (its public id: the first 12 hex digits of its sha256). */
export interface Authenticated {
  readonly user: User;
  readonly tokenId: string;
}

interface ConfigToken {
  readonly user: User;
  readonly expiresAt: Date | null;
}

/**
 * Bearer tokens → department users. Only sha256 digests are kept; a presented token is hashed and
 * looked up (the digest of an unknown token reveals nothing about the known ones), first among the
 * config tokens (memory), then among the issued ones (`api_tokens`, one indexed lookup). Config
 * tokens come from `tokenSha256`, a `tokenFile` (its trimmed content), or `tokenEnv` (resolved in
 * `env`, which main.ts passes in). Tokens are never logged or stored.
 */
export class Authenticator {
  private readonly byHash = new Map<string, ConfigToken>();
  private readonly users = new Map<string, User>();
  private readonly issued: ApiTokens;

  constructor(
    users: readonly UserConfig[],
    env: Readonly<Record<string, string | undefined>>,
    private readonly deps: { readonly pool: Pick<Pool, 'query'>; readonly clock: Clock },
  ) {
    this.issued = new ApiTokens(deps.pool);
    for (const u of users) {
      const user: User = { id: u.id, name: u.name ?? u.id, departmentId: u.departmentId, role: u.role };
      this.users.set(u.id, user);
      const hash = resolveHash(u, env);
      if (hash === undefined) continue;
      if (this.byHash.has(hash)) {
        throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `users ${this.byHash.get(hash)?.user.id} and ${u.id} share one token`);
      }
      this.byHash.set(hash, { user, expiresAt: u.tokenExpiresAt ? new Date(u.tokenExpiresAt) : null });
    }
  }

  /**
   * The user for an `Authorization: Bearer <token>` header. Throws SW_ROUTER_AUTH_REQUIRED (no
   * header), SW_ROUTER_AUTH_INVALID (malformed, unknown, revoked, or its user is no longer
   * configured) or SW_ROUTER_AUTH_EXPIRED (past its expiry): all 401.
   */
  async authenticate(header: string | undefined): Promise<Authenticated> {
    if (!header) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
    const m = /^Bearer\s+(\S{8,512})\s*$/i.exec(header);
    if (!m?.[1]) throw new WorkOrderError('SW_ROUTER_AUTH_INVALID', 'malformed Authorization header (expected: Bearer <token>)');
    const hash = sha256Hex(m[1]);
    const now = new Date(this.deps.clock.now());
    const fromConfig = this.byHash.get(hash);
    if (fromConfig) {
      if (fromConfig.expiresAt && fromConfig.expiresAt <= now) throw new WorkOrderError('SW_ROUTER_AUTH_EXPIRED');
      return { user: fromConfig.user, tokenId: tokenIdOf(hash) };
    }
    const row = await this.issued.lookup(hash);
    const user = row && !row.revokedAt ? this.users.get(row.userId) : undefined;
    if (!row || !user) throw new WorkOrderError('SW_ROUTER_AUTH_INVALID');
    if (row.expiresAt <= now) throw new WorkOrderError('SW_ROUTER_AUTH_EXPIRED');
    return { user, tokenId: row.id };
  }

  /** Config tokens that expire before `horizon` (for a warning at start). */
  expiringConfigTokens(horizon: Date): Array<{ userId: string; expiresAt: Date }> {
    return [...this.byHash.values()].filter((t) => t.expiresAt && t.expiresAt <= horizon).map((t) => ({ userId: t.user.id, expiresAt: t.expiresAt as Date }));
  }

  get userCount(): number {
    return this.users.size;
  }
}

function resolveHash(u: UserConfig, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const given = [u.tokenSha256, u.tokenFile, u.tokenEnv].filter((x) => x !== undefined).length;
  if (given > 1) {
    throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: set at most one of tokenSha256, tokenFile, tokenEnv`);
  }
  if (given === 0) {
    if (u.tokenExpiresAt !== undefined) throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: tokenExpiresAt without a config token`);
    return undefined; // this user has issued tokens only (alert-router tokens issue)
  }
  if (u.tokenSha256) return u.tokenSha256;
  // The platform's one secret rule (platform/src/config/secrets.ts): a file loses one trailing newline.
  const r = resolveSecretField(u, 'token', '', { env });
  if (!r.ok) throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: ${r.error.path.slice(1)}: ${r.error.message}`, { cause: r.cause });
  const token = (r.value ?? '').trim();
  if (!token || token.length < 16) {
    throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: token missing or shorter than 16 characters`);
  }
  return sha256Hex(token);
}

/**
 * Failed authentications per IP in a sliding minute, counted in PostgreSQL so that every router
 * instance sees every instance's failures. It only ever answers requests that already failed: a
 * presented token is checked first and a valid one goes through whatever its address did (behind
 * an ingress or an office NAT many users share one address; a failure count there must not lock
 * them out). Past `perMinute` failures an address's further failures answer 429 instead of 401
 * and are no longer written (a guesser cannot grow the table). Times are the database's own
 * (`now()`), the same for every instance.
 */
export class AuthFailureLimiter {
  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly perMinute: number,
  ) {}

  /**
   * Count one failure from `ip` unless the address is already past its limit (and drop failures
   * too old to matter, everyone's); true when it is past the limit (answer 429). One statement.
   */
  async fail(ip: string): Promise<boolean> {
    const r = await this.pool.query<{ n: number }>(
      `WITH old AS (DELETE FROM api_auth_failures WHERE at <= now() - interval '1 minute'),
       recent AS (SELECT count(*)::int AS n FROM api_auth_failures WHERE ip = $1 AND at > now() - interval '1 minute'),
       counted AS (INSERT INTO api_auth_failures (ip) SELECT $1 FROM recent WHERE n < $2)
       SELECT n FROM recent`,
      [ip, this.perMinute],
    );
    return (r.rows[0]?.n ?? 0) >= this.perMinute;
  }
}
