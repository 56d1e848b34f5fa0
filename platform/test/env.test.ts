import t from 'tap';
import { logLevelFromEnv } from '../src/env.js';

t.test('STREETWATCH_LOG_LEVEL sets the level, over the config and over the old LOG_LEVEL', async (t) => {
  t.same(logLevelFromEnv({ STREETWATCH_LOG_LEVEL: 'debug', LOG_LEVEL: 'warn' }, 'info'), { level: 'debug' });
  t.same(logLevelFromEnv({}, 'info'), { level: 'info' }, 'the config (fallback) without either');
});

t.test('the old LOG_LEVEL still works for one version, with a deprecation line naming the new variable', async (t) => {
  const r = logLevelFromEnv({ LOG_LEVEL: 'warn' }, 'info');
  t.equal(r.level, 'warn');
  t.match(r.deprecation, /LOG_LEVEL is deprecated.*STREETWATCH_LOG_LEVEL/);
});
