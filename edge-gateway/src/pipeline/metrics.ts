/**
 * Metrics of the per-camera pipeline (get-or-create on the gateway's registry, one `camera` label
 * per camera). The source's own metrics (decoded fps, last-frame age, online, restarts) live in
 * source/metrics.ts; the outbox's (depth, oldest age, drops) in outbox/.
 */
import { counter, gauge, histogram, type Registry } from '@streetwatch/platform';

export type Stage = 'motion' | 'tamper' | 'static_objects' | 'detect_wait' | 'detect' | 'track' | 'count' | 'rules' | 'evidence' | 'publish';

export function pipelineMetrics(registry: Registry) {
  return {
    stageSeconds: histogram(
      registry,
      'streetwatch_edge_stage_seconds',
      'Time per frame in each pipeline stage (detect_wait = waiting for the shared detector)',
      ['camera', 'stage'],
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2],
    ),
    detectorMs: gauge(registry, 'streetwatch_edge_camera_detector_ms', 'Detector time of the last inference on this camera (ms)', ['camera']),
    frames: counter(
      registry,
      'streetwatch_edge_frames_analysed_total',
      'Frames through the pipeline, by whether the detector ran (ran, skipped by the motion gate, dropped: overload or a detector thread restart)',
      ['camera', 'detector'],
    ),
    events: counter(registry, 'streetwatch_edge_events_total', 'DetectionEvents written to the outbox', ['camera', 'type', 'phase']),
    crossings: counter(
      registry,
      'streetwatch_edge_flow_crossings_total',
      'Crossings of count lines (count_line zones), one per track and direction: flows by hour are increase(...[1h])',
      ['camera', 'line', 'class', 'direction'],
    ),
    flowMinutes: counter(registry, 'streetwatch_edge_flow_minutes_total', 'FlowCount messages (one per count line and watched minute) written to the outbox', ['camera']),
    health: counter(registry, 'streetwatch_edge_health_events_total', 'CameraHealth events written to the outbox', ['camera', 'status']),
    heartbeats: counter(
      registry,
      'streetwatch_edge_health_heartbeats_total',
      'CameraHealth heartbeats (the current state re-stated every health.heartbeatIntervalSeconds) written to the outbox',
      ['camera'],
    ),
    invalid: counter(
      registry,
      'streetwatch_edge_events_invalid_total',
      'Events refused before the outbox because they fail their contract (a bug; logged)',
      ['contract'],
    ),
    failures: counter(registry, 'streetwatch_edge_pipeline_failures_total', 'Pipeline step failures, by code', ['camera', 'code']),
    openViolations: gauge(registry, 'streetwatch_edge_violations_open', 'Violations started and not yet ended', ['camera']),
    tampered: gauge(registry, 'streetwatch_edge_camera_tampered', '1 while the camera view is covered, blurred or moved (reason label), else 0', ['camera', 'reason']),
    analysedRatio: gauge(
      registry,
      'streetwatch_edge_camera_analysed_ratio',
      'Share of the frames the motion gate sent to the detector that it ran on, last 60 s (1 = keeps up; lower = overloaded box, this camera analysed at a fair share)',
      ['camera'],
    ),
    analysedFps: gauge(registry, 'streetwatch_edge_camera_analysed_fps', 'Detector runs per second on this camera, last 60 s', ['camera']),
    queueDepth: gauge(registry, 'streetwatch_edge_detector_queue_depth', 'Frames waiting for or in the shared detector'),
    queueDrops: counter(
      registry,
      'streetwatch_edge_detector_frames_dropped_total',
      'Frames the detector queue dropped for a newer one (superseded: same camera; queue_full: the oldest waiting frame)',
      ['camera', 'reason'],
    ),
  };
}

export type PipelineMetrics = ReturnType<typeof pipelineMetrics>;
