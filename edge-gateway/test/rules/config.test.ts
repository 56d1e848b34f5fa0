import { parseConfig } from '@streetwatch/platform';
import t from 'tap';
import { DetectorConfigSchema } from '../../src/detector/config.js';
import { MotionConfigSchema, StaticObjectConfigSchema } from '../../src/motion/config.js';
import { RulesConfigSchema } from '../../src/rules/config.js';
import { TrackerConfigSchema } from '../../src/tracker/config.js';
import { resolveZone } from '../../src/rules/config.js';

t.test('every analytics config schema fills its defaults through the platform config parser', async (t) => {
  t.match(parseConfig(MotionConfigSchema, {}), { width: 160, height: 90, maxIdleSeconds: 10 });
  t.match(parseConfig(StaticObjectConfigSchema, {}), { fastTauSeconds: 5, slowTauSeconds: 600, confirmSeconds: 8 });
  t.match(parseConfig(TrackerConfigSchema, {}), { highScore: 0.4, lostMemorySeconds: 15 });
  t.match(parseConfig(DetectorConfigSchema, { modelDir: '/models' }), { type: 'tfjs-graph', model: 'centernet', inputSize: 512, backend: 'auto' });
  t.match(parseConfig(RulesConfigSchema, {}), { zones: [], updateIntervalSeconds: 60 });
});

t.test('unknown keys and bad values are reported by path', async (t) => {
  t.throws(() => parseConfig(TrackerConfigSchema, { lostMemorySecs: 15 }), { code: 'SW_CONFIG_INVALID' });
  const zones = { zones: [{ id: 'P1', type: 'illegal_parking', polygon: [[0, 0], [1, 0], [1.5, 1]] }] };
  t.throws(() => parseConfig(RulesConfigSchema, zones), { code: 'SW_CONFIG_INVALID', message: /zones\.0\.polygon\.2/ });
  const badTime = { zones: [{ id: 'P1', type: 'dumping', polygon: [[0, 0], [1, 0], [1, 1]], muted: [{ days: ['mon'], start: '7:00', to: '08:00' }] }] };
  t.throws(() => parseConfig(RulesConfigSchema, badTime), { code: 'SW_CONFIG_INVALID', message: /zones\.0\.muted\.0\.start/ });
});

t.test('a zone gets the defaults of its violation type', async (t) => {
  const poly: [number, number][] = [[0, 0], [1, 0], [1, 1]];
  t.match(resolveZone({ id: 'P', type: 'illegal_parking', polygon: poly }), { dwellSeconds: 60, gapSeconds: 15, objectClasses: ['car', 'truck', 'bus', 'motorcycle'], timezone: 'Asia/Shanghai' });
  t.match(resolveZone({ id: 'V', type: 'street_vendor', polygon: poly }), { dwellSeconds: 240, personClasses: ['person'] });
  t.match(resolveZone({ id: 'S', type: 'shopfront_spillover', polygon: poly }), { dwellSeconds: 600, schedule: [{ from: '08:00', to: '22:00' }] });
  t.match(resolveZone({ id: 'D', type: 'dumping', polygon: poly }), { dwellSeconds: 900, useStaticBlobs: true });
  t.match(resolveZone({ id: 'P', type: 'illegal_parking', polygon: poly, dwellSeconds: 20 }), { dwellSeconds: 20 }, 'no-stopping zone override');
});
