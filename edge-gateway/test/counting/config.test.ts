/**
 * `count_line` zones in the gateway config: listed among a camera's zones, checked by their own
 * schema and rules (errors by key path), handed to the counter with defaults, kept away from the
 * violation rules.
 */
import { ConfigError } from '@streetwatch/platform';
import t from 'tap';
import { parseGatewayConfig } from '../../src/config/parse.js';
import { DEFAULT_COUNT_CLASSES } from '../../src/counting/config.js';

const base = { gatewayId: 'gw-1', outbox: { path: '/var/lib/sw/outbox.db' }, evidence: {}, detector: { modelDir: '/models' } };
const parking = { id: 'P1', type: 'illegal_parking', polygon: [[0, 0], [1, 0], [1, 1]] };
const camera = (zones: unknown[]) => ({ ...base, cameras: [{ id: 'cam-1', source: { type: 'file', path: '/v.mp4' }, zones }] });

function problems(raw: unknown): string[] {
  try {
    parseGatewayConfig(raw, 'gw.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return e.lines();
    throw e;
  }
  return [];
}

t.test('count lines and gates sit among the zones; the counter gets them with defaults, the rules only the violation zones', async (t) => {
  const c = parseGatewayConfig(
    camera([
      { id: 'L1', type: 'count_line', line: [[0.1, 0.6], [0.9, 0.6]] },
      parking,
      { id: 'G1', type: 'count_line', polygon: [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6]], classes: { person: ['person'] }, hysteresis: 0.01, gridId: 'grid-9' },
    ]),
  );
  const cam = c.cameras[0]!;
  t.same(cam.zones.map((z) => z.id), ['P1'], 'the rules see the parking zone only');
  t.same(cam.countLines, [
    { id: 'L1', shape: { kind: 'line', a: [0.1, 0.6], b: [0.9, 0.6] }, classes: DEFAULT_COUNT_CLASSES, hysteresis: 0.02 },
    { id: 'G1', shape: { kind: 'gate', polygon: [[0.4, 0.4], [0.6, 0.4], [0.6, 0.6]] }, classes: { person: ['person'] }, hysteresis: 0.01, gridId: 'grid-9' },
  ]);
  t.equal(parseGatewayConfig(camera([parking])).cameras[0]?.countLines, undefined, 'no count line: no counter');
});

t.test('a wrong count line is refused by key path, with what is wrong', async (t) => {
  t.same(
    problems(
      camera([
        { id: 'L1', type: 'count_line' },
        { id: 'L2', type: 'count_line', line: [[0.5, 0.5], [0.5, 0.5]] },
        { id: 'L3', type: 'count_line', line: [[0.1, 0.5]], colour: 'red' },
        { id: 'L4', type: 'count_line', line: [[0.1, 0.5], [0.9, 0.5]], polygon: [[0, 0], [1, 0], [1, 1]] },
        { id: 'G1', type: 'count_line', polygon: [[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]] },
        { id: 'L5', type: 'count_line', line: [[0.1, 0.5], [0.9, 0.5]], classes: { people: ['person'], walkers: ['person'] } },
        { id: 'L6', type: 'count_line', line: [[0.1, 0.5], [0.12, 0.5]] },
        { id: 'Z1', type: 'count_lines', line: [[0.1, 0.5], [0.9, 0.5]] },
      ]),
    ),
    [
      'gw.yaml: cameras.0.zones.0: a count_line needs exactly one of line (a directed line [a, b]) or polygon (a gate)',
      'gw.yaml: cameras.0.zones.1.line: its two points are the same: a line needs a direction (a -> b)',
      'gw.yaml: cameras.0.zones.2.colour: is not allowed (unknown field)',
      'gw.yaml: cameras.0.zones.2.line: must NOT have fewer than 2 items',
      'gw.yaml: cameras.0.zones.3: a count_line needs exactly one of line (a directed line [a, b]) or polygon (a gate)',
      'gw.yaml: cameras.0.zones.4.polygon: has no area (its points are on one line)',
      'gw.yaml: cameras.0.zones.5.classes.walkers: detector class person is already counted as people',
      'gw.yaml: cameras.0.zones.6.line: is 0.020 long, not longer than twice the hysteresis (0.02): nothing could cross it',
      'gw.yaml: cameras.0.zones.7.type: must be one of illegal_parking, street_vendor, shopfront_spillover, dumping, count_line',
    ],
  );
});

t.test('zone ids are unique per camera across violation zones and count lines', async (t) => {
  t.same(problems(camera([parking, { id: 'P1', type: 'count_line', line: [[0.1, 0.5], [0.9, 0.5]] }])), [
    'gw.yaml: cameras.0.zones.1.id: duplicates zones.0.id (P1) of this camera',
  ]);
});
