import t from 'tap';
import { testKafka, waitFor } from '@streetwatch/platform/testing';
import type { WorkOrderEvent } from '@streetwatch/schemas';
import { alertFor, harness, TOKENS } from '../workorders/fixtures/harness.js';

type Json = Record<string, any>;
interface Sse {
  id?: string;
  event: string;
  data: Json;
}

/** Read an SSE stream the way the console does (fetch + Authorization), collecting events. */
async function openStream(base: string, token: string, lastEventId?: string) {
  const ctrl = new AbortController();
  const res = await fetch(`${base}/api/stream`, {
    headers: { authorization: `Bearer ${token}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: ctrl.signal,
  });
  const events: Sse[] = [];
  let ended = false;
  const pump = (async () => {
    const reader = (res.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const e: Partial<Sse> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) e.id = line.slice(4);
            if (line.startsWith('event: ')) e.event = line.slice(7);
            if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6)) as Json;
          }
          if (e.event) events.push(e as Sse);
        }
      }
    } catch {
      // aborted
    }
    ended = true;
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    ended: () => ended,
    close: async () => {
      ctrl.abort();
      await pump;
    },
  };
}

t.test('console stream', async (t) => {
  const kafka = await testKafka(t, { label: 'sse' });

  t.test('a stream starts with a snapshot and then pushes transitions, filtered per department', async (t) => {
    const h = await harness(t, kafka);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const early = await h.wo.dispatch(alertFor(), 'dept-a');
    const a = await openStream(base, TOKENS.aStaff);
    const b = await openStream(base, TOKENS.bStaff);
    const s = await openStream(base, TOKENS.sup);
    t.teardown(() => Promise.all([a.close(), b.close(), s.close()]));
    t.equal(a.status, 200);
    t.match(a.contentType, /^text\/event-stream/);
    await waitFor('snapshots', () => a.events.length && b.events.length && s.events.length);
    t.equal(a.events[0]?.event, 'snapshot');
    t.same(a.events[0]?.data.orders.map((o: Json) => o.id), [early.workOrderId]);
    t.same(b.events[0]?.data.orders, [], 'B’s snapshot has nothing of A');

    const fromA = await h.wo.dispatch(alertFor(), 'dept-a');
    const fromB = await h.wo.dispatch(alertFor(), 'dept-b');
    await waitFor('B sees its own new order', () => b.events.some((e) => e.data.order?.id === fromB.workOrderId));
    await waitFor('supervisor sees both', () => s.events.filter((e) => e.event === 'workorder').length >= 2);
    t.notOk(b.events.some((e) => e.data.order?.departmentId === 'dept-a' || e.data.event?.departmentId === 'dept-a'), 'B never receives A’s order');
    const live = await waitFor('A sees its new order', () => a.events.find((e) => e.data.order?.id === fromA.workOrderId));
    t.equal(live.event, 'workorder');
    t.match(live.data.event as WorkOrderEvent, { action: 'dispatched', workOrderId: fromA.workOrderId });
    t.match(live.data.order, { status: 'dispatched', type: 'illegal_parking', site: { zoneId: 'P1' }, actions: ['sign', 'return'] });
    t.same(
      s.events.filter((e) => e.event === 'workorder').map((e) => e.data.order.actions),
      [['sign', 'mark_false_positive', 'mark_duplicate'], ['sign', 'mark_false_positive', 'mark_duplicate']],
      'actions are computed for each viewer',
    );
    t.notOk(a.events.some((e) => e.data.order?.id === fromB.workOrderId));
  });

  t.test('a reconnect with Last-Event-ID replays what it missed; an unknown id gets a fresh snapshot', async (t) => {
    const h = await harness(t, kafka);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    const first = await openStream(base, TOKENS.aHead);
    await waitFor('snapshot', () => first.events.length);
    const lastId = first.events[0]?.id as string;
    await first.close();
    await waitFor('the hub forgot the closed stream', () => h.wo.hub.size === 0);

    await h.wo.act({ id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' }, ref.workOrderId, 'sign', {});
    await h.wo.dispatch(alertFor(), 'dept-b');
    await h.wo.act({ id: 'li.staff', name: '李明', departmentId: 'dept-a', role: 'staff' }, ref.workOrderId, 'handle', { feedback: 'x' });

    const again = await openStream(base, TOKENS.aHead, lastId);
    t.teardown(() => again.close());
    await waitFor('two missed events', () => again.events.length >= 2);
    t.same(again.events.map((e) => [e.event, e.data.event.action]), [
      ['workorder', 'signed'],
      ['workorder', 'handled'],
    ], 'replayed in order, without B’s event and without a snapshot');
    t.same(again.events[1]?.data.order.actions, ['feedback', 'verify', 'reject', 'mark_false_positive', 'mark_duplicate']);

    const stale = await openStream(base, TOKENS.aHead, 'ffffffff-3');
    t.teardown(() => stale.close());
    await waitFor('snapshot', () => stale.events.length);
    t.equal(stale.events[0]?.event, 'snapshot');
    t.equal(stale.events[0]?.data.orders[0].status, 'handled');
  });

  t.test('the seam’s ConsoleFeed.publish pushes the stored work order once per event', async (t) => {
    const h = await harness(t, kafka);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const ref = await h.wo.dispatch(alertFor(), 'dept-a');
    const a = await openStream(base, TOKENS.aStaff);
    t.teardown(() => a.close());
    await waitFor('snapshot', () => a.events.length);
    const foreign: WorkOrderEvent = {
      schemaVersion: 1,
      eventId: `${ref.workOrderId}:console-1`,
      workOrderId: ref.workOrderId,
      alertId: ref.alertId,
      departmentId: 'dept-a',
      action: 'dispatched',
      status: 'dispatched',
      actor: { kind: 'system', id: 'delivery' },
      at: new Date().toISOString(),
    };
    h.wo.feed.publish('dept-a', foreign);
    h.wo.feed.publish('dept-a', foreign);
    await h.wo.hub.idle();
    await waitFor('the pushed event', () => a.events.some((e) => e.data.event?.eventId === foreign.eventId));
    t.equal(a.events.filter((e) => e.data.event?.eventId === foreign.eventId).length, 1, 'deduped by eventId');
    t.equal(a.events.at(-1)?.data.order.id, ref.workOrderId);
  });

  t.test('closing the app ends open streams instead of hanging', async (t) => {
    const h = await harness(t, kafka);
    const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const a = await openStream(base, TOKENS.aStaff);
    await waitFor('snapshot', () => a.events.length);
    await h.app.close();
    await waitFor('stream ended by the server', () => a.ended(), { timeoutMs: 5000 });
    t.pass('closed');
  });
});
