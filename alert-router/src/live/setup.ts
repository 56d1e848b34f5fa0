import { ConfigError, systemClock, type Clock, type Logger, type Pool, type Registry } from '@streetwatch/platform';
import { ms } from '../config/durations.js';
import { SecretMissingError, type SecretResolver } from '../config/secrets.js';
import type { RouterConfig } from '../config/schema.js';
import { LiveHub } from './hub.js';
import type { LiveDeps } from './routes.js';
import { LiveTickets } from './tickets.js';

/**
 * The live view of a router config, or undefined without a `live` section. The ticket signing
 * key is resolved here, once (a missing variable or file: ConfigError naming the key, never a value).
 */
export function liveFrom(
  cfg: RouterConfig,
  source: string,
  deps: { pool: Pool; log: Logger; registry: Registry; resolveSecret: SecretResolver; clock?: Clock },
): LiveDeps | undefined {
  const live = cfg.live;
  if (live === undefined) return undefined;
  let key: string | undefined;
  try {
    key = deps.resolveSecret(live, 'signingKey', '/live');
  } catch (err) {
    if (!(err instanceof SecretMissingError)) throw err;
    throw new ConfigError('SW_CONFIG_INVALID', source, [err.problem]);
  }
  if (Buffer.byteLength(key) < 32) {
    throw new ConfigError('SW_CONFIG_INVALID', source, [{ path: `/live/signingKey${live.signingKeyEnv !== undefined ? 'Env' : 'File'}`, message: 'must be at least 32 bytes' }]);
  }
  const log = deps.log.child({ component: 'live' });
  return {
    config: live,
    hub: new LiveHub(live, { log, registry: deps.registry }),
    tickets: new LiveTickets(key, ms(live.ticketTtl), { pool: deps.pool, clock: deps.clock ?? systemClock }),
    pool: deps.pool,
    log,
  };
}
