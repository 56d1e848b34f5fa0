/**
 * A store for @fastify/rate-limit that keeps the counters in PostgreSQL, so every router instance
 * counts against one budget per key (its built-in store is each instance's memory: N replicas gave a
 * user N times the limit, and a restart emptied it). Fixed windows of `timeWindow` per key, started
 * by the key's first request, timed by the database's clock (the same for every instance); one
 * statement per request. Keys idle for a day are pruned now and then.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Pool } from '@streetwatch/platform';

type Incr = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** Every this many requests an instance also deletes the keys idle for a day. */
const PRUNE_EVERY = 1000;

interface RouteLimit {
  readonly routeInfo?: { readonly method?: string | string[]; readonly url?: string };
}

/** `windowMs`: the window when the plugin does not pass one to `incr` (it does, as of v10). */
export function pgRateLimitStore(pool: Pick<Pool, 'query'>, windowMs: number): FastifyRateLimitStoreCtor {
  let calls = 0;
  class PgRateLimitStore implements FastifyRateLimitStore {
    /** A route with its own limit counts apart under its own prefix (as the plugin's Redis store does). */
    prefix = '';

    incr(bare: string, cb: Incr, timeWindow: number = windowMs): void {
      const key = this.prefix + bare;
      const prune = ++calls % PRUNE_EVERY === 0;
      pool
        .query<{ n: number; ttl: string }>(
          `WITH pruned AS (DELETE FROM api_rate_limits WHERE $3 AND window_start < now() - interval '1 day' AND key <> $1)
           INSERT INTO api_rate_limits AS r (key, window_start, n) VALUES ($1, now(), 1)
           ON CONFLICT (key) DO UPDATE SET
             n = CASE WHEN r.window_start + $2::float8 * interval '1 millisecond' <= now() THEN 1 ELSE r.n + 1 END,
             window_start = CASE WHEN r.window_start + $2::float8 * interval '1 millisecond' <= now() THEN now() ELSE r.window_start END
           RETURNING n, ceil(extract(epoch FROM (window_start + $2::float8 * interval '1 millisecond' - now())) * 1000)::bigint::text AS ttl`,
          [key, timeWindow, prune],
        )
        .then(
          (r) => {
            const row = r.rows[0];
            cb(null, { current: row?.n ?? 1, ttl: Math.max(0, Number(row?.ttl ?? timeWindow)) });
          },
          (err: unknown) => cb(err instanceof Error ? err : new Error(String(err))),
        );
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // At run time (v10) the plugin passes its merged route params, with the route under routeInfo.
      const r = (routeOptions as RouteLimit).routeInfo;
      const store = new PgRateLimitStore();
      store.prefix = `${this.prefix}${String(r?.method ?? '')}${r?.url ?? ''}-`;
      return store;
    }
  }
  return PgRateLimitStore;
}
