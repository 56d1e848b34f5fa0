/**
 * A notification's content is one row (router_notifications) for every channel of a flush and for a
 * fallback; each delivery sends it with its own `ref:` line. A delivery whose notification row is
 * gone fails without a provider call.
 */
import t from 'tap';
import { exampleAlert } from '@streetwatch/schemas';
import { renderNotification } from '../../src/channels/render.js';
import { deliveryKey } from '../../src/delivery/store.js';
import { ManualClock } from '@streetwatch/platform';
import { harness, RecordingChannel, states } from './harness.js';

const T0 = Date.parse('2026-11-26T08:00:00.000Z');
const CFG = {
  departments: { cg: { name: 'CG', channels: ['a', 'b'] } },
  channels: {
    a: { type: 'webhook', url: 'http://127.0.0.1:9/unused', signSecretEnv: 'S' },
    b: { type: 'webhook', url: 'http://127.0.0.1:9/unused', signSecretEnv: 'S' },
  },
  routing: { route: { departments: ['cg'] } },
};

t.test('the channels of one flush share one stored message; each sends it with its own ref line', async (t) => {
  const a = new RecordingChannel('a');
  const b = new RecordingChannel('b');
  const h = await harness(t, CFG, { channels: new Map([['a', a], ['b', b]]), env: { S: 'x' }, clock: new ManualClock(T0) });
  await h.pipeline.router.ingest([{ alert: exampleAlert({ alertId: 'al-n1' }) }]);
  await h.pipeline.tick();
  const n = await h.pool.query<{ notification_key: string; message: { markdown: string } }>('SELECT notification_key, message FROM router_notifications');
  t.equal(n.rows.length, 1, 'one notification row');
  t.notMatch(n.rows[0]?.message.markdown, /ref:/, 'stored without a ref line');
  const d = await h.pool.query<{ notification_key: string }>('SELECT DISTINCT notification_key FROM router_deliveries');
  t.same(d.rows, [{ notification_key: n.rows[0]?.notification_key }], 'both deliveries name it');
  for (const ch of [a, b]) {
    t.equal(ch.sent.length, 1);
    const { msg, key } = ch.sent[0]!;
    t.equal(msg.markdown, `${n.rows[0]?.message.markdown}\n\nref: ${key}`, `${ch.name}: its own key on the ref line`);
  }
  t.not(a.sent[0]?.key, b.sent[0]?.key);
});

t.test('a delivery whose notification row is gone fails without a provider call', async (t) => {
  const a = new RecordingChannel('a');
  const b = new RecordingChannel('b');
  const h = await harness(t, CFG, { channels: new Map([['a', a], ['b', b]]), env: { S: 'x' }, clock: new ManualClock(T0) });
  // Intents as a flush writes them, written directly so that nothing sends them before the row goes.
  const message = renderNotification({ departmentId: 'cg', departmentName: 'CG', target: 'department', items: [{ alert: exampleAlert({ alertId: 'al-n2' }) }], phones: [] });
  const intents = ['a', 'b'].map((ch) => ({
    key: deliveryKey('missing', ch), notificationKey: deliveryKey('missing'), alertId: 'al-n2', alertIds: ['al-n2'], departmentId: 'cg',
    channelName: ch, channelType: 'webhook', target: 'department', message, nextAttemptAt: T0,
  }));
  await h.pipeline.store.insert(h.pool, intents, T0);
  t.same(await states(h.pool), { pending: 2 });
  await h.pool.query('DELETE FROM router_notifications');
  await h.pipeline.tick();
  t.equal(a.sent.length + b.sent.length, 0, 'no provider was called');
  const rows = await h.pool.query<{ state: string; last_error_code: string }>('SELECT state, last_error_code FROM router_deliveries ORDER BY channel_name');
  t.same(rows.rows, [
    { state: 'dead', last_error_code: 'SW_ROUTER_NOTIFICATION_MISSING' },
    { state: 'dead', last_error_code: 'SW_ROUTER_NOTIFICATION_MISSING' },
  ]);
});
