import { StreetwatchError, type StreetwatchErrorOptions } from '@streetwatch/platform';

/** The stream processor's error catalogue: callers branch on `code`, never on the message. */
export const PROCESSOR_ERRORS = {
  SW_PROC_RULES_INVALID: 'the rules file is valid YAML/JSON but its rules contradict each other',
  SW_PROC_STATE_FENCED: 'another instance took over a task; this instance must drop its copy of the state',
  SW_PROC_STATE_CORRUPT: 'a stored task snapshot cannot be read',
  SW_PROC_CHECKPOINT_FAILED: 'writing a task snapshot with its offsets failed',
  SW_PROC_SINK_FAILED: 'writing history rows to PostgreSQL failed',
  SW_PROC_PRODUCE_FAILED: 'Kafka did not acknowledge produced alerts',
  SW_PROC_COPARTITION: 'topics that must be co-partitioned have different partition counts',
  SW_PROC_ENGINE_LOST: 'a task engine (or the worker thread running it) is gone; the task reloads from its snapshot',
  SW_PROC_ENGINE_FAILED: 'the rules threw while processing a batch (the task reloads from its snapshot and retries)',
  SW_PROC_USAGE: 'the command line is wrong',
} as const;

export type ProcessorErrorCode = keyof typeof PROCESSOR_ERRORS;

export class ProcessorError extends StreetwatchError<ProcessorErrorCode> {
  constructor(code: ProcessorErrorCode, message: string, opts: StreetwatchErrorOptions = {}) {
    super(code, message, opts);
    this.name = 'ProcessorError';
  }
}
