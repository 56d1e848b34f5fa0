import type { FastifyReply, FastifyRequest } from 'fastify';

/** One Server-Sent Events stream, as the route handler writes to it. */
export interface EventStream {
  /** One event; `id` is what the client sends back as Last-Event-ID when it reconnects. */
  send(event: string, data: string, id?: string): void;
  /** End the response (the client reconnects after `retry`). */
  end(): void;
}

/**
 * Open a Server-Sent Events stream on a route's reply: the reply is hijacked from fastify, sent the
 * headers every stream needs (no caching, no buffering in a proxy), told how soon to reconnect, and
 * kept alive with a comment every `heartbeatMs`. Writes after the client has gone are dropped; when
 * it goes, the heartbeat stops and `onClose` runs once. The console's work-order stream and the
 * overview screen's stream are both this; each decides only what it sends.
 */
export function openEventStream(
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { readonly heartbeatMs: number; readonly onClose: () => void; readonly retryMs?: number },
): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const write = (s: string): void => {
    if (!raw.writableEnded && !raw.destroyed) raw.write(s);
  };
  const heartbeat = setInterval(() => write(': ping\n\n'), opts.heartbeatMs);
  heartbeat.unref();
  req.raw.on('close', () => {
    clearInterval(heartbeat);
    opts.onClose();
  });
  write(`retry: ${opts.retryMs ?? 3000}\n\n`);
  return {
    send: (event, data, id) => write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`),
    end: () => raw.end(),
  };
}
