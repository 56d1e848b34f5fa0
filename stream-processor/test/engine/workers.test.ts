import t from 'tap';
import type { KafkaMessage } from 'kafkajs';
import { createLogger, createRegistry } from '@streetwatch/platform';
import { waitFor } from '@streetwatch/platform/testing';
import { packBatch } from '../../src/engine/batch.js';
import { LocalEngines, type EngineHandle, type TaskEngines } from '../../src/engine/host.js';
import { WorkerEngines } from '../../src/engine/workers.js';
import { processorMetrics } from '../../src/ops/metrics.js';
import { stream, STREAM_RULES } from '../support/stream.js';
import { config } from '../support/events.js';

const NOW = Date.parse('2026-11-27T00:00:00Z');
const cfg = config(STREAM_RULES, { time: { maxOutOfOrderness: '2s', grace: '0s', idleTimeout: '1h' } });
const log = createLogger({ name: 'engines-test', level: 'silent' });
const msg = (value: string | null): KafkaMessage =>
  ({ key: null, value: value === null ? null : Buffer.from(value), offset: '0', timestamp: '0', attributes: 0, headers: {} }) as KafkaMessage;
const input = [...stream(1, 8), ...stream(2, 8)].map((e) => JSON.stringify(e));

function workers(t: { teardown(fn: () => unknown): void }, n: number) {
  const metrics = processorMetrics(createRegistry('engines-test'));
  const engines = new WorkerEngines(n, cfg, { log, metrics });
  t.teardown(() => engines.close());
  return { engines, metrics };
}

/** Feed the stream in batches of 50 to a task's engine; everything it decided, in order. */
async function run(engines: TaskEngines, task = 0): Promise<{ alerts: string[]; forward: number; refused: number[]; rows: number; snapshot: unknown }> {
  const h: EngineHandle = await engines.open(task, NOW, undefined);
  const alerts: string[] = [];
  const refused: number[] = [];
  let forward = 0;
  let rows = 0;
  const values: Array<string | null> = [...input.slice(0, 10), 'not json', null, '{"schemaVersion":1}', ...input.slice(10)];
  for (let i = 0; i < values.length; i += 50) {
    const r = await h.step('detections', packBatch(values.slice(i, i + 50).map(msg)), NOW, true);
    alerts.push(...r.out.alerts.map((a) => a.alertId));
    forward += r.out.forward.length;
    refused.push(...r.refused.map((f) => i + f.index));
    rows += r.rows?.count ?? 0;
  }
  const p = await h.punctuate(NOW + 3_600_000, ['detections']);
  alerts.push(...p.out.alerts.map((a) => a.alertId));
  return { alerts, forward, refused, rows, snapshot: await h.snapshot() };
}

t.test('rules on a worker thread decide exactly what they decide on the calling thread', async (t) => {
  const local = await run(new LocalEngines(cfg.rules, cfg.settings.time));
  const { engines } = workers(t, 2);
  const remote = await run(engines, 1);
  t.ok(local.alerts.length > 10, `${local.alerts.length} alerts`);
  t.same(remote.alerts, local.alerts, 'same alerts, same order');
  t.equal(remote.forward, local.forward);
  t.same(remote.snapshot, local.snapshot, 'same state');
  t.same(remote.refused, [10, 11, 12], 'the malformed, the empty and the schema-invalid message, by index');
  t.equal(remote.rows, input.length, 'a sink row for every valid message');
});

t.test('a refused message says why, with the field path', async (t) => {
  const { engines } = workers(t, 1);
  const h = await engines.open(0, NOW, undefined);
  const r = await h.step('detections', packBatch(['{"schemaVersion":1}', 'nope'].map(msg)), NOW, false);
  t.equal(r.refused[0]?.code, 'SW_CONTRACT_INVALID');
  t.ok(r.refused[0]?.errors.some((e) => e.path === '/eventId'), 'names the missing field');
  t.equal(r.refused[1]?.code, 'SW_CONTRACT_MALFORMED_JSON');
  t.equal(r.valid, 0);
});

t.test('a worker thread that dies is replaced; its engines are reported lost, new ones work', async (t) => {
  const { engines, metrics } = workers(t, 2);
  const lost = await engines.open(0, NOW, undefined); // on worker 0
  const other = await engines.open(1, NOW, undefined); // on worker 1
  engines.crash(0);
  await waitFor('the worker replaced', async () => ((await metrics.engineRestarts.get()).values[0]?.value ?? 0) === 1, { timeoutMs: 10_000 });
  await t.rejects(lost.snapshot(), { code: 'SW_PROC_ENGINE_LOST' }, 'the engine that lived there is gone');
  t.ok(await other.snapshot(), 'engines on the other worker are untouched');
  const again = await engines.open(0, NOW, undefined);
  const r = await again.step('detections', packBatch(input.slice(0, 20).map(msg)), NOW, false);
  t.equal(r.valid, 20, 'a task opened again on the new worker processes batches');
});

t.test('new rules reach the engines on every worker', async (t) => {
  const { engines } = workers(t, 2);
  const h = await engines.open(1, NOW, undefined);
  await engines.setRules(config([], { time: { maxOutOfOrderness: '2s', grace: '0s', idleTimeout: '1h' } }));
  const r = await h.step('detections', packBatch(input.map(msg)), NOW, false);
  t.equal(r.out.alerts.length, 0, 'no rules, no alerts');
  t.same(Object.keys((await h.snapshot()).rules), []);
});

t.test('after close every call is refused instead of hanging', async (t) => {
  const { engines } = workers(t, 1);
  const h = await engines.open(0, NOW, undefined);
  await engines.close();
  await t.rejects(h.snapshot(), { code: 'SW_PROC_ENGINE_LOST' });
});
