/**
 * The router bench's outside world, in its own process so that its CPU is not counted as the
 * router's (and does not compete for the router's one JavaScript thread): the load generator
 * (alerts produced on streetwatch.alerts.v1) and the fake webhook receiver (checks the HMAC
 * signature, notes when each alert arrived). run.ts forks it and talks to it over IPC.
 */
import { ContractProducer, createKafka, createLogger, createRegistry, stackSettings } from '@streetwatch/platform';
import { TOPICS, exampleAlert, type Alert } from '@streetwatch/schemas';
import { FakeWebhook } from '../../alert-router/test/support/fake-webhook/index.js';
import { benchAlertId } from './ids.js';

export type DriverRequest =
  | { id: number; cmd: 'burst'; ids: string[] }
  | { id: number; cmd: 'paced'; label: string; rate: number; n: number }
  | { id: number; cmd: 'received'; ids: string[] }
  | { id: number; cmd: 'cpu' }
  | { id: number; cmd: 'close' };

const send = (m: unknown): void => void process.send?.(m);
const brokers = (process.env.BENCH_DRIVER_BROKERS ?? '').split(',');
const prefix = process.env.BENCH_DRIVER_PREFIX ?? '';
const secret = process.env.BENCH_DRIVER_SECRET ?? '';

async function main(): Promise<void> {
  const teardowns: Array<() => unknown> = [];
  const log = createLogger({ name: 'bench-driver', level: 'warn' });
  // TLS + SASL as the stack's admin (the parent's environment, .stack/env).
  const kafka = createKafka({ ...stackSettings(process.env).kafka, brokers, clientId: 'bench-driver' }, log);
  const producer = new ContractProducer({ prefix }, { kafka, registry: createRegistry('bench-driver') });
  await producer.start();
  const received = new Map<string, number>(); // alertId → webhook receive time
  const hook = new FakeWebhook(secret);
  await hook.listen({ teardown: (fn) => void teardowns.push(fn) });
  const answer = hook.answer.bind(hook);
  hook.answer = async (reply, key, success) => {
    const r = await answer(reply, key, success);
    const body = hook.bodies.pop() as { alerts?: Array<{ alertId: string }> } | undefined; // keep memory flat
    for (const a of body?.alerts ?? []) if (!received.has(a.alertId)) received.set(a.alertId, Date.now());
    hook.seen.length = 0;
    return r;
  };
  const mk = (id: string): Alert => exampleAlert({ alertId: id, createdAt: new Date().toISOString() });

  process.on('message', (req: DriverRequest) => {
    void (async () => {
      switch (req.cmd) {
        case 'burst': {
          for (let i = 0; i < req.ids.length; i += 500) await producer.send(TOPICS.alerts, req.ids.slice(i, i + 500).map(mk));
          return send({ id: req.id });
        }
        case 'paced': {
          const ids: string[] = [];
          const tick = 20; // ms per produce batch
          const perTick = Math.max(1, Math.round((req.rate * tick) / 1000));
          const p0 = Date.now();
          for (let sent = 0; sent < req.n; ) {
            const batch = Array.from({ length: Math.min(perTick, req.n - sent) }, (_, i) => benchAlertId(req.label, sent + i));
            ids.push(...batch);
            sent += batch.length;
            await producer.send(TOPICS.alerts, batch.map(mk));
            const wait = p0 + (sent / req.rate) * 1000 - Date.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          }
          return send({ id: req.id, ids });
        }
        case 'received':
          return send({ id: req.id, at: req.ids.map((a) => received.get(a) ?? null) });
        case 'cpu': {
          const c = process.cpuUsage();
          return send({ id: req.id, us: c.user + c.system });
        }
        case 'close':
          await producer.close();
          for (const fn of teardowns.reverse()) await Promise.resolve(fn()).catch(() => undefined);
          send({ id: req.id });
          process.disconnect();
          return;
      }
    })().catch((err: unknown) => send({ id: req.id, error: String((err as Error).stack ?? err) }));
  });
  send({ ready: true, url: hook.url });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench driver failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
