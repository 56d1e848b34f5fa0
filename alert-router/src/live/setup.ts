import { ConfigError, systemClock, type Clock, type Logger, type Pool, type Registry } from '@streetwatch/platform';
import { ms } from '../config/durations.js';
import type { SecretResolver } from '../config/secrets.js';
import type { RouterConfig } from '../config/schema.js';
import { LiveHub } from './hub.js';
import type { LiveDeps } from './routes.js';
import { LiveTickets } from './tickets.js';

/**
 * The live view of a router config, or undefined without a `live` section. The ticket signing
 * key and the gateways' token hashes given as Secret references are resolved here, once (a missing
 * variable or file, a value that is not a sha256: ConfigError naming the key, never a value).
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
    key = deps.resolveSecret(live.signingKey);
  } catch (err) {
    throw new ConfigError('SW_CONFIG_INVALID', source, [{ path: '/live/signingKey', message: (err as Error).message }]);
  }
  if (Buffer.byteLength(key) < 32) throw new ConfigError('SW_CONFIG_INVALID', source, [{ path: '/live/signingKey', message: 'must be at least 32 bytes' }]);
  const gatewayTokens = new Map<string, Buffer>();
  const problems: Array<{ path: string; message: string }> = [];
  live.gateways.forEach((g, i) => {
    let hex: string;
    try {
      hex = typeof g.tokenSha256 === 'string' ? g.tokenSha256 : deps.resolveSecret(g.tokenSha256).trim().toLowerCase();
    } catch (err) {
      problems.push({ path: `/live/gateways/${i}/tokenSha256`, message: (err as Error).message });
      return;
    }
    if (!/^[a-f0-9]{64}$/.test(hex)) problems.push({ path: `/live/gateways/${i}/tokenSha256`, message: 'the secret must hold the sha256 of the gateway token (64 hex digits)' });
    else gatewayTokens.set(g.id, Buffer.from(hex, 'hex'));
  });
  if (problems.length > 0) throw new ConfigError('SW_CONFIG_INVALID', source, problems);
  const log = deps.log.child({ component: 'live' });
  return {
    config: live,
    gatewayTokens,
    hub: new LiveHub(live, { log, registry: deps.registry }),
    tickets: new LiveTickets(key, ms(live.ticketTtl), { pool: deps.pool, clock: deps.clock ?? systemClock }),
    pool: deps.pool,
    log,
  };
}
