import t from 'tap';
import { anchorOf, coverage, inPolygon, unionBox, type Polygon } from '../../src/rules/geometry.js';

// A concave "U": the notch between x 0.4-0.6 from y 0.2 down to 0.8 is outside.
const U: Polygon = [
  [0.2, 0.2],
  [0.4, 0.2],
  [0.4, 0.8],
  [0.6, 0.8],
  [0.6, 0.2],
  [0.8, 0.2],
  [0.8, 0.9],
  [0.2, 0.9],
];

t.test('points inside the arms of a concave polygon are inside, the notch is outside', async (t) => {
  t.equal(inPolygon([0.3, 0.5], U), true, 'left arm');
  t.equal(inPolygon([0.7, 0.5], U), true, 'right arm');
  t.equal(inPolygon([0.5, 0.85], U), true, 'base');
  t.equal(inPolygon([0.5, 0.5], U), false, 'notch');
  t.equal(inPolygon([0.5, 0.1], U), false, 'above the notch');
  t.equal(inPolygon([0.9, 0.5], U), false, 'right of the polygon');
});

t.test('points on edges and vertices count as inside', async (t) => {
  t.equal(inPolygon([0.2, 0.5], U), true, 'on the left edge');
  t.equal(inPolygon([0.5, 0.8], U), true, 'on the notch floor');
  t.equal(inPolygon([0.4, 0.2], U), true, 'on a vertex');
  t.equal(inPolygon([0.5, 0.9], U), true, 'on the bottom edge');
});

t.test('a ray through a vertex does not flip the answer', async (t) => {
  // Horizontal ray from (0.1, 0.2) runs along the top edges and through vertices.
  t.equal(inPolygon([0.1, 0.2], U), false);
  t.equal(inPolygon([0.3, 0.2000001], U), true);
  t.equal(inPolygon([0.5, 0.2], U), false, 'between the arms on the top line');
});

t.test('an explicitly closed ring and an open ring agree; degenerate polygons contain nothing', async (t) => {
  const closed: Polygon = [...U, [0.2, 0.2]];
  for (const p of [[0.3, 0.5], [0.5, 0.5], [0.5, 0.85]] as const) t.equal(inPolygon(p, closed), inPolygon(p, U));
  t.equal(inPolygon([0.5, 0.5], [[0, 0], [1, 1]]), false);
});

t.test('the anchor is the bottom-centre of the box', async (t) => {
  t.same(anchorOf({ x: 0.1, y: 0.2, w: 0.4, h: 0.3 }), [0.30000000000000004, 0.5]);
  // A car whose roof is in the notch but whose wheels are on the base is in the zone.
  t.equal(inPolygon(anchorOf({ x: 0.45, y: 0.5, w: 0.1, h: 0.35 }), U), true);
  t.equal(inPolygon(anchorOf({ x: 0.45, y: 0.3, w: 0.1, h: 0.35 }), U), false);
});

t.test('box coverage and union', async (t) => {
  t.equal(coverage({ x: 0, y: 0, w: 0.2, h: 0.2 }, { x: 0.1, y: 0, w: 0.5, h: 0.5 }), 0.5);
  t.equal(coverage({ x: 0, y: 0, w: 0, h: 0 }, { x: 0, y: 0, w: 1, h: 1 }), 0);
  t.same(unionBox([{ x: 0.1, y: 0.2, w: 0.1, h: 0.1 }, { x: 0.5, y: 0.1, w: 0.2, h: 0.2 }]), { x: 0.1, y: 0.1, w: 0.6, h: 0.20000000000000004 });
});
