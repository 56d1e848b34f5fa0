import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Pool } from '@streetwatch/platform';
import type { UserConfig } from '../workorders/config.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { User } from '../workorders/model.js';

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * Bearer tokens → department users. Only sha256 digests are kept in memory; a presented token is
 * hashed and looked up (the digest of an unknown token reveals nothing about the known ones).
 * Tokens come from `tokenSha256`, a `tokenFile` (its trimmed content), or `tokenEnv` (resolved in
 * `env`, which main.ts passes in). Tokens are never logged or stored.
 */
export class Authenticator {
  private readonly byHash = new Map<string, User>();

  constructor(users: readonly UserConfig[], env: Readonly<Record<string, string | undefined>>) {
    for (const u of users) {
      const hash = resolveHash(u, env);
      if (this.byHash.has(hash)) {
        throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `users ${this.byHash.get(hash)?.id} and ${u.id} share one token`);
      }
      this.byHash.set(hash, { id: u.id, name: u.name ?? u.id, departmentId: u.departmentId, role: u.role });
    }
  }

  /** The user for an `Authorization: Bearer <token>` header; throws 401 codes otherwise. */
  authenticate(header: string | undefined): User {
    if (!header) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
    const m = /^Bearer\s+(\S{8,512})\s*$/i.exec(header);
    if (!m?.[1]) throw new WorkOrderError('SW_ROUTER_AUTH_INVALID', 'malformed Authorization header (expected: Bearer <token>)');
    const user = this.byHash.get(sha256Hex(m[1]));
    if (!user) throw new WorkOrderError('SW_ROUTER_AUTH_INVALID');
    return user;
  }

  get userCount(): number {
    return this.byHash.size;
  }
}

function resolveHash(u: UserConfig, env: Readonly<Record<string, string | undefined>>): string {
  const given = [u.tokenSha256, u.tokenFile, u.tokenEnv].filter((x) => x !== undefined).length;
  if (given !== 1) {
    throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: set exactly one of tokenSha256, tokenFile, tokenEnv`);
  }
  if (u.tokenSha256) return u.tokenSha256;
  let token: string | undefined;
  if (u.tokenFile) {
    try {
      token = readFileSync(u.tokenFile, 'utf8').trim();
    } catch (cause) {
      throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: cannot read tokenFile ${u.tokenFile}`, { cause });
    }
  } else if (u.tokenEnv) {
    token = env[u.tokenEnv]?.trim();
  }
  if (!token || token.length < 16) {
    throw new WorkOrderError('SW_ROUTER_AUTH_TOKEN_UNRESOLVED', `user ${u.id}: token missing or shorter than 16 characters`);
  }
  return sha256Hex(token);
}

/**
 * Failed authentications per IP in a sliding minute, counted in PostgreSQL so that every router
 * instance sees every instance's failures (in memory, N replicas gave an address N times the
 * guesses): past `perMinute` the address gets 429 until its failures age out. Times are the
 * database's own (`now()`), the same for every instance.
 */
export class AuthFailureLimiter {
  constructor(
    private readonly pool: Pick<Pool, 'query'>,
    private readonly perMinute: number,
  ) {}

  async blocked(ip: string): Promise<boolean> {
    const r = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_auth_failures WHERE ip = $1 AND at > now() - interval '1 minute'`,
      [ip],
    );
    return (r.rows[0]?.n ?? 0) >= this.perMinute;
  }

  /** Count one failure (and drop failures too old to matter, everyone's). */
  async fail(ip: string): Promise<void> {
    await this.pool.query(
      `WITH old AS (DELETE FROM api_auth_failures WHERE at <= now() - interval '1 minute')
       INSERT INTO api_auth_failures (ip) VALUES ($1)`,
      [ip],
    );
  }
}
