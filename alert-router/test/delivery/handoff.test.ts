import t from 'tap';
import { waitFor } from '@streetwatch/platform/testing';
import { exampleAlert } from '@streetwatch/schemas';
import type { Channel, Notification, SendResult } from '../../src/channels/types.js';
import { harness, states } from './harness.js';

const CFG = {
  departments: { cg: { name: 'CG', channels: ['hook', 'held'] } },
  channels: {
    hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook', signSecretEnv: 'HOOK' },
    held: { type: 'webhook', url: 'http://127.0.0.1:9/hook', signSecretEnv: 'HOOK', onUncertain: 'hold' },
  },
  routing: { route: { departments: ['cg'] } },
};

/** Looks at PostgreSQL from inside the provider call: what is committed when the provider is called. */
class InspectingChannel implements Channel {
  readonly type = 'webhook';
  readonly seen: Array<{ state: string | undefined; attempts: string[] }> = [];
  pool: import('@streetwatch/platform').Pool | undefined;
  constructor(readonly name: string) {}
  async send(_msg: Notification, key: string): Promise<SendResult> {
    const pool = this.pool as import('@streetwatch/platform').Pool;
    const row = await pool.query<{ state: string }>('SELECT state FROM router_deliveries WHERE idempotency_key = $1', [key]);
    const att = await pool.query<{ outcome: string }>('SELECT outcome FROM router_delivery_attempts WHERE idempotency_key = $1 ORDER BY id', [key]);
    this.seen.push({ state: row.rows[0]?.state, attempts: att.rows.map((r) => r.outcome) });
    return { providerMessageId: key };
  }
}

t.test('a flushed intent goes to the engine without a claim round trip, its intent committed before the provider call (not for hold channels)', async (t) => {
  const hook = new InspectingChannel('hook');
  const held = new InspectingChannel('held');
  const h = await harness(t, CFG, { env: { HOOK: 'x' }, channels: new Map<string, Channel>([['hook', hook], ['held', held]]) });
  hook.pool = h.pool;
  held.pool = h.pool;
  // The harness starts without polling; the engine's start-up pump learns that nothing is waiting.
  await h.pipeline.engine.start();
  await h.pipeline.engine.idle();
  const claimedVia = new Map<string, number>();
  const claimMany = h.pipeline.store.claimMany.bind(h.pipeline.store);
  h.pipeline.store.claimMany = async (...args) => {
    const rows = await claimMany(...args);
    for (const r of rows) claimedVia.set(r.channelName, (claimedVia.get(r.channelName) ?? 0) + 1);
    return rows;
  };
  await h.pipeline.router.ingest([{ alert: exampleAlert({ alertId: 'ho-1', createdAt: new Date().toISOString() }) }]);
  await h.pipeline.router.idle();
  await waitFor('both sent', async () => (await states(h.pool)).sent === 2, { timeoutMs: 10_000, intervalMs: 20 });
  t.same(hook.seen, [{ state: 'inflight', attempts: ['intent'] }], 'claimed state and intent attempt committed before the call');
  t.equal(claimedVia.get('hook') ?? 0, 0, 'hook: handed over by the flush, not claimed');
  t.same(held.seen, [{ state: 'inflight', attempts: ['intent'] }], 'hold channel: also committed before the call');
  t.equal(claimedVia.get('held'), 1, 'hold channel: through the claim (a crash must not hold what was never sent)');
});
