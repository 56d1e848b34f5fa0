import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createRegistry, parseConfig } from '@streetwatch/platform';
import { testKafka, uniqueId, waitFor } from '@streetwatch/platform/testing';
import { TOPICS } from '@streetwatch/schemas';
import { Outbox, OutboxConfigSchema } from '../../src/outbox/index.js';
import { Publisher, PublisherConfigSchema } from '../../src/publish/index.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));

t.test('a crash between the Kafka send and the ack replays the record exactly once after restart', async (t) => {
  const k = await testKafka(t, { label: 'crash' });
  const dir = mkdtempSync(join(tmpdir(), 'sw-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'outbox.db');
  const eventId = uniqueId('crash-evt');

  // The child appends, sends to the real broker, says so, and is SIGKILLed before it can ack.
  const child = spawn(process.execPath, [...process.execArgv, CHILD, path, k.brokers.join(','), k.prefix, eventId], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  await waitFor(`child to send (stderr: ${err.slice(-300)})`, () => /sent \d+/.test(out) || child.exitCode !== null, { timeoutMs: 30000 });
  t.match(out, /sent \d+/, `child sent the record (stderr: ${err.slice(-500)})`);
  child.kill('SIGKILL');
  await waitFor('child gone', () => child.signalCode === 'SIGKILL' || child.exitCode !== null, { timeoutMs: 5000 });

  const registry = createRegistry('crash-test');
  const outbox = new Outbox(parseConfig(OutboxConfigSchema, { path }, 'test'), { log: k.log, registry });
  outbox.start();
  t.teardown(() => outbox.close());
  const pending = outbox.peek(10);
  t.same(
    pending.map((r) => r.eventId),
    [eventId],
    'after the kill the unacknowledged record is still in the outbox, once',
  );

  const publisher = new Publisher(parseConfig(PublisherConfigSchema, { topicPrefix: k.prefix }, 'test'), {
    kafka: k.kafka,
    outbox,
    registry,
    log: k.log,
  });
  t.teardown(() => publisher.close());
  await publisher.start();
  await waitFor('replayed and acked', () => outbox.depth() === 0, { timeoutMs: 20000 });

  const mine = (m: { value: Buffer | null }): boolean => (JSON.parse(m.value?.toString() ?? '{}') as { eventId?: string }).eventId === eventId;
  const got = (await k.readAll(TOPICS.detections, (m) => m.filter(mine).length >= 2)).filter(mine);
  t.equal(got.length, 2, "Kafka holds the child's send and exactly one replay (at-least-once: consumers dedup by eventId)");
  await publisher.close();
  outbox.close();

  const again = new Outbox(parseConfig(OutboxConfigSchema, { path }, 'test'), { log: k.log, registry });
  again.start();
  t.teardown(() => again.close());
  t.equal(again.depth(), 0, 'after the ack it is gone for good');
});
