import { counter, gauge, type Registry } from '@streetwatch/platform';

/** The processor's metrics (DLQ and produced/consumed totals come from the platform). */
export function processorMetrics(r: Registry) {
  return {
    events: counter(r, 'streetwatch_processor_events_total', 'Valid input messages processed (rate = events/s)', ['topic']),
    alerts: counter(r, 'streetwatch_processor_alerts_total', 'Alerts produced and acknowledged by Kafka', ['rule', 'kind']),
    scoreChanges: counter(r, 'streetwatch_processor_score_changes_total', 'Shop colour changes produced', ['rule']),
    late: counter(r, 'streetwatch_processor_late_events_total', 'Events behind the watermark by more than the rule grace (sent to the late topic)', ['rule']),
    suppressed: counter(r, 'streetwatch_processor_suppressed_total', 'Firing conditions held back by cooldown, schedule or re-arm', ['rule', 'reason']),
    skipped: counter(r, 'streetwatch_processor_replayed_skipped_total', 'Messages below a task snapshot offset, skipped after a restart or rebalance', ['topic']),
    lag: gauge(r, 'streetwatch_processor_consumer_lag', 'Messages behind the partition high watermark', ['topic', 'partition']),
    watermark: gauge(r, 'streetwatch_processor_watermark_seconds', 'Event-time watermark per task input (unix seconds)', ['input', 'task']),
    cameraLastSeen: gauge(
      r,
      'streetwatch_processor_camera_last_seen_seconds',
      "Event time (unix seconds) of the newest CameraHealth from each camera, heartbeats included: time() minus it is how long the camera has been silent, seen from the cloud (whether or not its gateway can be scraped). Per instance, for the cameras of the partitions it has consumed: read max by (camera)",
      ['camera', 'gateway'],
    ),
    open: gauge(r, 'streetwatch_processor_open_state', 'Open count windows, dwell timers and scored shops', ['kind']),
    tasks: gauge(r, 'streetwatch_processor_tasks', 'Tasks (partition numbers) this instance owns'),
    checkpoints: counter(r, 'streetwatch_processor_checkpoints_total', 'Task snapshots written with their offsets', ['outcome']),
    snapshotBytes: gauge(r, 'streetwatch_processor_snapshot_bytes', 'Size of the last snapshot per task', ['task']),
    engineRestarts: counter(r, 'streetwatch_processor_engine_worker_restarts_total', 'Engine worker threads that died and were replaced (their tasks reload from snapshots)'),
    reloads: counter(r, 'streetwatch_processor_rule_reloads_total', 'Rule reloads', ['outcome']),
  };
}

export type ProcessorMetrics = ReturnType<typeof processorMetrics>;
