/**
 * The gateway config parser in-process: defaults from every stage's schema, per-camera analytics
 * overrides, and the checks a schema cannot express (errors by key path).
 */
import { ConfigError } from '@streetwatch/platform';
import t from 'tap';
import { analyticsFor, parseGatewayConfig } from '../../src/config/parse.js';

const base = {
  gatewayId: 'gw-1',
  outbox: { path: '/var/lib/sw/outbox.db' },
  evidence: {},
  detector: { modelDir: '/models' },
};
const zone = { id: 'P1', type: 'illegal_parking', polygon: [[0, 0], [1, 0], [1, 1]] };

function problems(raw: unknown): string[] {
  try {
    parseGatewayConfig(raw, 'gw.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  return [];
}

t.test('a minimal config gets every stage default and is frozen', async (t) => {
  const c = parseGatewayConfig({ ...base, cameras: [{ id: 'cam-1', source: { type: 'hikvision', host: '10.0.0.5', username: 'admin', password: 'x' } }] });
  t.match(c, {
    http: { host: '127.0.0.1', port: 8080 },
    kafka: { topicPrefix: '', batchSize: 200 },
    outbox: { maxBytes: 256 * 1024 * 1024 },
    evidence: { jpegQuality: 80 },
    detector: { type: 'tfjs-graph', model: 'centernet', backend: 'auto', inputSize: 512 },
    analytics: { motion: { maxIdleSeconds: 10 }, tracker: { lostMemorySeconds: 15 }, staticObjects: { confirmSeconds: 8 }, updateIntervalSeconds: 60 },
    shutdown: { graceMs: 10_000 },
  });
  const cam = c.cameras[0]!;
  t.match(cam, { enabled: true, zones: [], analytic: { fps: 2, width: 640, height: 480 }, watchdog: { authBackoffMs: 60_000 } });
  t.match(cam.source, { type: 'hikvision', port: 554, channel: 1, stream: 'sub' }, 'defaults of the selected source type');
  t.ok(Object.isFrozen(c) && Object.isFrozen(cam.source));
});

t.test('a camera overrides single analytics keys and inherits the rest', async (t) => {
  const c = parseGatewayConfig({
    ...base,
    analytics: { tracker: { lostMemorySeconds: 20 }, updateIntervalSeconds: 30 },
    cameras: [
      { id: 'cam-1', source: { type: 'file', path: '/v.mp4' }, analytics: { tracker: { stationaryWindowSeconds: 4 }, staticObjects: { confirmSeconds: 3 } } },
      { id: 'cam-2', source: { type: 'file', path: '/v.mp4' } },
    ],
  });
  const a1 = analyticsFor(c, c.cameras[0]!);
  t.match(a1.tracker, { stationaryWindowSeconds: 4, lostMemorySeconds: 20, highScore: 0.4 });
  t.equal(a1.staticObjects.confirmSeconds, 3);
  t.equal(a1.staticObjects.slowTauSeconds, 600);
  t.equal(a1.updateIntervalSeconds, 30);
  const a2 = analyticsFor(c, c.cameras[1]!);
  t.match(a2.tracker, { stationaryWindowSeconds: 10, lostMemorySeconds: 20 });
  t.equal(a2.staticObjects.confirmSeconds, 8);
});

t.test('problems are reported together, each by its key path', async (t) => {
  const lines = problems({
    ...base,
    kafka: { brokers: ['no-port'], colour: 'red' },
    cameras: [
      { id: 'cam 1', source: { type: 'rtsp', url: 'http://x' }, zones: [{ ...zone, dwellSeconds: -1 }], analytics: { tracker: { lostMemory: 1 } } },
      { id: 'cam-2', source: { type: 'onvif', host: 'h', username: 'u' } },
    ],
  });
  for (const expected of [
    'gw.yaml: kafka.brokers.0: must match pattern',
    'gw.yaml: kafka.colour: is not allowed (unknown field)',
    'gw.yaml: cameras.0.id: must match pattern',
    'gw.yaml: cameras.0.zones.0.dwellSeconds: must be > 0',
    'gw.yaml: cameras.0.analytics.tracker.lostMemory: is not allowed (unknown field)',
    'gw.yaml: cameras.0.source.url: must match pattern',
    'gw.yaml: cameras.1.source.password: is required',
  ]) {
    t.ok(lines.some((l) => l.startsWith(expected)), expected);
  }
});

t.test('zone ids are unique per camera and time zones must exist', async (t) => {
  const lines = problems({
    ...base,
    cameras: [
      { id: 'cam-1', source: { type: 'file', path: '/v.mp4' }, zones: [zone, { ...zone, timezone: 'Asia/Atlantis' }] },
      { id: 'cam-2', source: { type: 'file', path: '/v.mp4' }, zones: [zone] },
    ],
  });
  t.ok(lines.some((l) => l.startsWith('gw.yaml: cameras.0.zones.1.id: duplicates zones.0.id (P1)')), 'duplicate zone id');
  t.ok(lines.some((l) => l.startsWith('gw.yaml: cameras.0.zones.1.timezone: ')), 'unknown time zone');
  t.notOk(lines.some((l) => l.includes('cameras.1')), 'the same zone id on another camera is fine');
});

t.test('a config without cameras is refused', async (t) => {
  t.match(problems({ ...base, cameras: [] }), ['gw.yaml: cameras: must NOT have fewer than 1 items']);
  t.match(problems({ ...base }), ['gw.yaml: cameras: is required']);
});

t.test('schedule windows say from/to; the old start/end still work this version, with one deprecation line per rename', async (t) => {
  const window = (w: object) => ({ ...base, cameras: [{ id: 'cam-1', source: { type: 'file', path: '/v.mp4' }, zones: [{ ...zone, schedule: [{ ...w }], muted: [{ ...w }] }] }] });
  const lines: string[] = [];
  const c = parseGatewayConfig(window({ days: ['mon'], start: '08:00', end: '22:00' }), 'gw.yaml', { env: {} }, (l) => lines.push(l));
  t.same(c.cameras[0]!.zones[0]!.schedule, [{ days: ['mon'], from: '08:00', to: '22:00' }], 'old names read as the new ones');
  t.same(lines, [
    'gw.yaml: config key cameras.0.zones.0.schedule.0.start: "start" is deprecated and will be refused in the next version; call it "from"',
    'gw.yaml: config key cameras.0.zones.0.schedule.0.end: "end" is deprecated and will be refused in the next version; call it "to"',
    'gw.yaml: config key cameras.0.zones.0.muted.0.start: "start" is deprecated and will be refused in the next version; call it "from"',
    'gw.yaml: config key cameras.0.zones.0.muted.0.end: "end" is deprecated and will be refused in the next version; call it "to"',
  ]);
  const quiet: string[] = [];
  parseGatewayConfig(window({ days: ['mon'], from: '08:00', to: '22:00' }), 'gw.yaml', { env: {} }, (l) => quiet.push(l));
  t.same(quiet, [], 'the new names: no deprecation line');
  t.same(
    problems(window({ days: ['mon'], from: '08:00', start: '09:00', to: '22:00' })).filter((l) => l.includes('start')),
    [
      'gw.yaml: cameras.0.zones.0.schedule.0.start: is the old name of cameras.0.zones.0.schedule.0.from, which is set too: keep only from',
      'gw.yaml: cameras.0.zones.0.muted.0.start: is the old name of cameras.0.zones.0.muted.0.from, which is set too: keep only from',
    ],
    'both names at once: refused, naming both',
  );
});
