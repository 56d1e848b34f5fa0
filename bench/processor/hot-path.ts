/**
 * The processor's per-event CPU without Kafka: the bench input, JSON-encoded as on the topic,
 * decoded and validated (`decodeContract`) and run through one task's rules (`TaskEngine`) in
 * batches, in memory. Splits the cost into decode and rules; steadier than the broker bench on a
 * shared machine. Then the same batches as an engine thread sees them (`step`: packed, decoded,
 * validated, rules, sink rows), on this thread. Numbers only.
 *
 *   npm run -w stream-processor bench:hot-path   (BENCH_EVENTS=200000, BENCH_ROUNDS=5)
 */
import { decodeContract } from '@streetwatch/platform';
import type { DetectionEvent } from '@streetwatch/schemas';
import type { KafkaMessage } from 'kafkajs';
import { LocalEngines, packBatch, parseProcessorConfig, TaskEngine } from '@streetwatch/stream-processor';
import { events, RULES } from './events.js';

const N = Number(process.env.BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCH = 5000;

const config = parseProcessorConfig(
  {
    processor: { groupId: 'hot-path', time: { maxOutOfOrderness: '2s', grace: '0s', idleTimeout: '5s', punctuateInterval: '500ms' } },
    rules: RULES,
  },
  'bench',
);
const buffers = [...events(N)].map((e) => Buffer.from(JSON.stringify(e)));
const now = Date.parse('2026-11-27T00:00:00Z');
/** Process CPU time (user + system) in ms: a busy machine stretches wall time, much less this. */
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const results: Array<{ decode: number; rules: number; total: number; alerts: number }> = [];
for (let r = 0; r < ROUNDS; r++) {
  const engine = new TaskEngine(0, config.rules, config.settings.time, now);
  let decode = 0;
  let rules = 0;
  let alerts = 0;
  for (let i = 0; i < buffers.length; i += BATCH) {
    const t0 = cpu();
    const values: DetectionEvent[] = [];
    for (const b of buffers.slice(i, i + BATCH)) {
      const d = decodeContract('DetectionEvent', b);
      if (d.ok) values.push(d.value);
    }
    const t1 = cpu();
    alerts += engine.detections(values, now).alerts.length;
    decode += t1 - t0;
    rules += cpu() - t1;
  }
  const us = (ms: number) => Math.round((ms * 1000 * 100) / N) / 100;
  results.push({ decode: us(decode), rules: us(rules), total: us(decode + rules), alerts });
}
const best = results.reduce((a, b) => (b.total < a.total ? b : a));

// The engine thread's whole step (what `engine.workers` threads do per batch).
const messages = buffers.map((value) => ({ value }) as KafkaMessage);
const steps: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const engine = await new LocalEngines(config.rules, config.settings.time).open(0, now, undefined);
  const t0 = cpu();
  for (let i = 0; i < messages.length; i += BATCH) await engine.step('detections', packBatch(messages.slice(i, i + BATCH)), now, true);
  steps.push(Math.round(((cpu() - t0) * 1000 * 100) / N) / 100);
}
console.log(JSON.stringify({ events: N, rounds: results, bestMicrosPerEvent: best, engineStepMicrosPerEvent: Math.min(...steps) }, null, 1));
