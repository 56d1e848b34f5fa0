import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { openEventStream } from '../api/event-stream.js';
import { writeAudit } from '../api/http.js';
import { errors } from '../api/schemas.js';
import { WorkOrderError } from '../workorders/errors.js';
import type { WorkOrders } from '../workorders/service.js';
import type { StreamMessage, Subscriber } from '../workorders/feed.js';

/**
 * `GET /api/stream`: Server-Sent Events for the console, filtered to what the user may see.
 * On connect: a `snapshot` event with the open work orders, or — when `Last-Event-ID` is still in
 * the hub's ring — a replay of what was missed; then a `workorder` event per transition. Messages
 * that arrive while the snapshot is read are held and sent after it, so nothing falls in the gap.
 * The console reads it with fetch() (EventSource cannot send the Authorization header).
 */
export function registerStream(api: FastifyInstance, wo: WorkOrders): void {
  api.get(
    '/api/stream',
    {
      schema: {
        summary: 'Live work-order updates for the console (text/event-stream: `snapshot`, then `workorder` events)',
        tags: ['console'],
        security: [{ bearerAuth: [] }],
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        produces: ['text/event-stream'],
        response: { 200: { description: 'an event stream', type: 'string' }, ...errors(401, 429) },
      },
    },
    async (req, reply) => {
      const user = req.swUser;
      if (!user) throw new WorkOrderError('SW_ROUTER_AUTH_REQUIRED');
      let unsubscribe: () => void = () => undefined;
      const stream = openEventStream(req, reply, {
        heartbeatMs: wo.config.console.heartbeatMs,
        onClose: () => {
          unsubscribe();
          wo.metrics.sseClients.set(wo.hub.size);
        },
      });
      let lastSent = 0;
      let synced = false;
      const held: StreamMessage[] = [];
      const send = (m: StreamMessage): void => {
        if (m.seq <= lastSent) return;
        lastSent = m.seq;
        stream.send('workorder', JSON.stringify({ event: m.event, order: wo.forViewer(user, m.order) }), m.id);
      };
      const sub: Subscriber = {
        user,
        send: (m) => (synced ? send(m) : void held.push(m)),
        end: () => stream.end(),
      };
      unsubscribe = wo.hub.subscribe(sub);
      const snapshotId = wo.hub.lastId;
      const snapshotSeq = Number(snapshotId.split('-')[1]);
      wo.metrics.sseClients.set(wo.hub.size);
      const lastEventId = req.headers['last-event-id'];
      const replay = typeof lastEventId === 'string' ? wo.hub.replaySince(lastEventId, user) : null;
      try {
        if (replay) {
          for (const m of replay) send(m);
        } else {
          const { items } = await wo.list(user, { status: 'open', limit: wo.config.api.pageSizeMax, offset: 0 });
          lastSent = snapshotSeq;
          stream.send('snapshot', JSON.stringify({ orders: items }), snapshotId);
        }
        synced = true;
        for (const m of held.splice(0)) send(m);
        req.swAudit = { mode: replay ? 'replay' : 'snapshot' };
        await writeAudit(wo.pool, req, 200, new Date(wo.clock.now()), 'stream').catch((err) => wo.log.error({ err }, 'audit row not written'));
      } catch (err) {
        wo.log.warn({ err }, 'console stream failed to start');
        stream.send('error', JSON.stringify({ code: 'SW_ROUTER_INTERNAL' }));
        stream.end();
      }
    },
  );
}
