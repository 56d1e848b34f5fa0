/** The router's series whose label values the config knows exist (at 0) from the start, before the first event. */
import t from 'tap';
import { Registry } from '@streetwatch/platform';
import { routerMetrics, zeroRouterMetrics } from '../../src/delivery/metrics.js';
import { workOrderMetrics, zeroWorkOrderMetrics } from '../../src/workorders/metrics.js';

t.test('delivery series start at 0 for every configured channel and outcome', async (t) => {
  const registry = new Registry();
  const m = routerMetrics(registry);
  zeroRouterMetrics(m, { hook: { type: 'webhook' }, console: { type: 'console' } }, ['chengguan']);
  const text = await registry.metrics();
  t.match(text, /streetwatch_router_deliveries_total\{channel="hook",type="webhook",outcome="dead"\} 0/);
  t.match(text, /streetwatch_router_deliveries_total\{channel="console",type="console",outcome="sent"\} 0/);
  t.match(text, /streetwatch_router_alerts_total\{result="duplicate"\} 0/);
  t.match(text, /streetwatch_router_suppressed_total\{reason="inhibition"\} 0/);
  t.match(text, /streetwatch_router_delivery_seconds_count\{type="webhook"\} 0/);
  t.match(text, /streetwatch_router_notifications_total\{department="chengguan",kind="repeat"\} 0/);
});

t.test('step-time histograms start at 0 per department and type, and the first observation counts on that series', async (t) => {
  const registry = new Registry();
  const m = workOrderMetrics(registry);
  zeroWorkOrderMetrics(m, ['chengguan', 'market']);
  let text = await registry.metrics();
  for (const name of ['time_to_sign', 'time_to_close']) {
    t.match(text, new RegExp(`streetwatch_workorder_${name}_seconds_count\\{department="market",type="dumping"\\} 0`));
    t.match(text, new RegExp(`streetwatch_workorder_${name}_seconds_bucket\\{le="\\+Inf",department="chengguan",type="illegal_parking"\\} 0`));
  }
  t.match(text, /streetwatch_workorders_dispatched_total\{department="market",type="street_vendor"\} 0/);
  t.match(text, /streetwatch_workorder_transitions_total\{department="market",action="closed"\} 0/);
  m.timeToSign.observe({ department: 'market', type: 'dumping' }, 45);
  text = await registry.metrics();
  t.match(text, /streetwatch_workorder_time_to_sign_seconds_count\{department="market",type="dumping"\} 1/);
  t.match(text, /streetwatch_workorder_time_to_sign_seconds_bucket\{le="30",department="market",type="dumping"\} 0/);
});
