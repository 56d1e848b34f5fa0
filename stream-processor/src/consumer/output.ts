import type { ContractProducer, ContractValue } from '@streetwatch/platform';
import { TOPICS, type TopicSpec } from '@streetwatch/schemas';
import { outputEmpty, type EngineOutputData } from '../engine/step.js';
import { ProcessorError } from '../errors.js';
import type { ProcessorMetrics } from '../ops/metrics.js';
import type { HistorySink } from '../sink/history.js';
import type { Task } from '../state/task.js';
import { SHOP_VIOLATIONS } from './topics.js';

/**
 * Send in requests of at most CHUNK messages: kafkajs puts a partition's messages of one request
 * into one record batch, which must stay under the topic's max.message.bytes (1 MiB).
 */
const CHUNK = 200;
async function sendChunked<S extends TopicSpec>(
  p: ContractProducer,
  spec: S,
  values: readonly ContractValue<S>[],
  headers?: Record<string, string>,
): Promise<void> {
  for (let i = 0; i < values.length; i += CHUNK) {
    await p.send(spec, values.slice(i, i + CHUNK), headers ? { headers } : {});
  }
}

/** What a task's rules decided, to Kafka (and alerts / colour changes to the history sink). */
export class RuleOutput {
  constructor(private readonly deps: { readonly producer: ContractProducer; readonly sink: HistorySink; readonly metrics: ProcessorMetrics }) {}

  /**
   * Produce what the rules decided. The sends are pipelined: the batch loop does not wait for
   * Kafka's acknowledgement, the task's next checkpoint does (offsets are never saved or committed
   * past output that is not acknowledged). A failed send fails the task at that checkpoint.
   */
  async emit(out: EngineOutputData, task: Task): Promise<void> {
    const m = this.deps.metrics;
    for (const [rule, n] of out.lateByRule) m.late.inc({ rule }, n);
    for (const [k, n] of out.suppressedBy) {
      const [rule = '', reason = ''] = k.split('|');
      m.suppressed.inc({ rule, reason }, n);
    }
    if (outputEmpty(out)) return;
    const p = this.deps.producer;
    const sent = Promise.all([
      sendChunked(p, TOPICS.alerts, out.alerts),
      sendChunked(p, TOPICS.shopScores, out.scoreChanges),
      sendChunked(p, TOPICS.detectionsLate, out.late, { 'sw-late': 'beyond-grace' }),
      sendChunked(p, SHOP_VIOLATIONS, out.forward),
    ]).then(
      async () => {
        for (const a of out.alerts) {
          m.alerts.inc({ rule: a.ruleId, kind: a.ruleKind });
          task.log.info({ alertId: a.alertId, ruleId: a.ruleId, key: a.key, eventTime: a.eventTime }, 'alert');
        }
        for (const c of out.scoreChanges) m.scoreChanges.inc({ rule: c.ruleId });
        if (out.alerts.length > 0 || out.scoreChanges.length > 0) {
          await this.deps.sink.add({ alerts: out.alerts, scoreChanges: out.scoreChanges });
        }
      },
      (cause: unknown) => {
        throw new ProcessorError('SW_PROC_PRODUCE_FAILED', `task ${task.id}: producing rule output failed`, { cause, retryable: true });
      },
    );
    sent.catch(() => undefined); // surfaced by the checkpoint that awaits it
    task.pending.push(sent);
    if (task.pending.length >= 64) await this.settle(task);
  }

  /** Wait until everything the task sent is acknowledged (throws if a send failed). */
  async settle(task: Task): Promise<void> {
    while (task.pending.length > 0) {
      const batch = task.pending;
      task.pending = [];
      await Promise.all(batch);
    }
  }
}
