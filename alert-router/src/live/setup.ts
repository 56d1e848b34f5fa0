import { ConfigError, systemClock, type Clock, type Logger, type Pool, type Registry } from '@streetwatch/platform';
import { ms } from '../config/durations.js';
import { SecretMissingError, type SecretResolver } from '../config/secrets.js';
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
    key = deps.resolveSecret(live, 'signingKey', '/live');
  } catch (err) {
    if (!(err instanceof SecretMissingError)) throw err;
    throw new ConfigError('SW_CONFIG_INVALID', source, [err.problem]);
  }
  if (Buffer.byteLength(key) < 32) {
    throw new ConfigError('SW_CONFIG_INVALID', source, [{ path: `/live/signingKey${live.signingKeyEnv !== undefined ? 'Env' : 'File'}`, message: 'must be at least 32 bytes' }]);
  }
  const gatewayTokens = new Map<string, Buffer>();
  const problems: Array<{ path: string; message: string }> = [];
  live.gateways.forEach((g, i) => {
    const at = `/live/gateways/${i}`;
    let hex: string;
    if (g.tokenSha256 !== undefined) {
      const other = g.tokenSha256Env !== undefined ? 'tokenSha256Env' : g.tokenSha256File !== undefined ? 'tokenSha256File' : undefined;
      if (other !== undefined) {
        problems.push({ path: `${at}/${other}`, message: `set one of tokenSha256, tokenSha256Env, tokenSha256File: ${at.slice(1).replaceAll('/', '.')}.tokenSha256 is set too` });
        return;
      }
      hex = g.tokenSha256;
    } else if (g.tokenSha256Env === undefined && g.tokenSha256File === undefined) {
      problems.push({ path: `${at}/tokenSha256`, message: 'give one of tokenSha256, tokenSha256Env, tokenSha256File' });
      return;
    } else {
      try {
        hex = deps.resolveSecret(g, 'tokenSha256', at).trim().toLowerCase();
      } catch (err) {
        if (!(err instanceof SecretMissingError)) throw err;
        problems.push(err.problem);
        return;
      }
      if (!/^[a-f0-9]{64}$/.test(hex)) {
        problems.push({ path: `${at}/tokenSha256${g.tokenSha256Env !== undefined ? 'Env' : 'File'}`, message: 'the secret must hold the sha256 of the gateway token (64 hex digits)' });
        return;
      }
    }
    gatewayTokens.set(g.id, Buffer.from(hex, 'hex'));
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
