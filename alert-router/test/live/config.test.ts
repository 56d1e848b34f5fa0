/** The router's `live` section: schema errors and cross-references by key path. */
import t from 'tap';
import { ConfigError, parseConfig } from '@streetwatch/platform';
import { checkLiveReferences, LiveConfig } from '../../src/live/config.js';

const H = 'a'.repeat(64);

t.test('cross-references: each camera names a configured gateway, each zone a known department; ids unique', async (t) => {
  const cfg = parseConfig(LiveConfig, {
    signingKeyEnv: 'K',
    gateways: [{ id: 'box-1', tokenSha256: H }, { id: 'box-1', tokenSha256: H }],
    cameras: [
      { id: 'cam-1', gateway: 'box-1', zones: { P1: 'dept-a' } },
      { id: 'cam-1', gateway: 'box-9', zones: { S1: 'dept-x' } },
    ],
  });
  const errors: Array<{ path: string; message: string }> = [];
  checkLiveReferences(cfg, new Set(['dept-a']), errors);
  t.same(errors, [
    { path: '/live/gateways/1/id', message: 'duplicates live.gateways.0.id (box-1)' },
    { path: '/live/cameras/1/id', message: 'duplicates live.cameras.0.id (cam-1)' },
    { path: '/live/cameras/1/gateway', message: 'unknown gateway "box-9" (not in live.gateways)' },
    { path: '/live/cameras/1/zones/S1', message: 'unknown department "dept-x"' },
  ]);
});

t.test('schema: a camera without zones, an inline key, a token that is not a sha256 are refused by path', async (t) => {
  let lines: string[] = [];
  try {
    parseConfig(LiveConfig, { signingKey: 'inline-key', gateways: [{ id: 'box-1', tokenSha256: 'secret' }], cameras: [{ id: 'cam-1', gateway: 'box-1', zones: {} }] }, 'router.yaml');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    lines = e.lines();
  }
  t.ok(lines.some((l) => l.includes('signingKey')), lines.join('\n'));
  t.ok(lines.some((l) => l.includes('gateways') && l.includes('tokenSha256')));
  t.ok(lines.some((l) => l.includes('cameras') && l.includes('zones')));
});
