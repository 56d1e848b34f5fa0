// The live query check's own logic, offline: which operands of an expression must carry data, how a
// Grafana SQL panel becomes plain SQL, and that the list of queries expected to be empty in the
// demo's story names only queries that exist. (The live run itself: demo.test.ts.)
import t from 'tap';
import { expectedEmpty, liveQueries, operands, plainSql } from './support/live-queries.js';

t.test('an expression is cut into the vector operands that carry its data', async (t) => {
  t.same(operands('sum(rate(x_total[5m]))'), ['sum(rate(x_total[5m]))'], 'a plain expression is its own operand');
  t.same(operands('sum(increase(x_total{outcome="dead"}[1h])) or vector(0)'), ['sum(increase(x_total{outcome="dead"}[1h]))'], 'the `or vector(0)` fallback is not what is checked');
  t.same(operands('streetwatch_edge_outbox_oldest_age_seconds > 600'), ['streetwatch_edge_outbox_oldest_age_seconds'], "an alert's threshold: the series it watches");
  t.same(operands('up{job=~"a|b"} == 0'), ['up{job=~"a|b"}'], 'operators inside label matchers are not split on');
  t.same(
    operands('streetwatch_edge_camera_analysed_ratio == 0 and on (instance, camera) streetwatch_edge_camera_online == 1'),
    ['streetwatch_edge_camera_analysed_ratio', 'streetwatch_edge_camera_online'],
    'both sides of `and on (...)`',
  );
  t.same(operands('sum by (instance, reason) (increase(x_total[15m])) > 2'), ['sum by (instance, reason) (increase(x_total[15m]))']);
  t.same(operands('time() - max(x_seconds{instance=~"$instance"})'), ['time() - max(x_seconds{instance=~"$instance"})'], 'arithmetic stays whole');
  t.same(operands('count(x{i=~"$i"} == 0) or vector(0)'), ['count(x{i=~"$i"} == 0)'], 'a comparison inside a function is part of the operand');
  t.same(operands('a_total / ignoring (code) b_total > 0.5 unless c'), ['a_total / ignoring (code) b_total', 'c']);
});

t.test('a SQL panel query becomes plain PostgreSQL: time macros filled in, unknown variables refused by name', async (t) => {
  const now = new Date('2026-12-06T08:00:00Z');
  const sql = plainSql('SELECT $__timeGroupAlias(hour, 1h), sum(n) FROM flow_hourly WHERE $__timeFilter(hour) GROUP BY 1', now);
  t.match(sql, /to_timestamp\(floor\(extract\(epoch from hour\) \/ 3600\) \* 3600\) AS "time"/);
  t.match(sql, /hour BETWEEN '2026-12-06T02:00:00\.000Z'::timestamptz AND '2026-12-06T08:00:00\.000Z'::timestamptz/);
  t.throws(() => plainSql('SELECT * FROM t WHERE camera = $camera', now), /uses \$camera/);
});

t.test('the queries expected to be empty in the demo story each exist in a dashboard or rule and say why', async (t) => {
  const listed = expectedEmpty();
  t.ok(listed.size > 0);
  const used = new Set(liveQueries().flatMap((q) => q.operands));
  t.same([...listed.keys()].filter((e) => !used.has(e)), [], 'no entry for a query that no longer exists');
});
