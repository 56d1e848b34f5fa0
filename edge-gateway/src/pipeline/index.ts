export { CameraPipeline, type CameraPipelineDeps, type EventSink, type PipelineStats } from './camera-pipeline.js';
export { DetectorQueue, type DetectorQueueOptions, type DropReason, type QueuedDetection } from './detector-queue.js';
export { cameraHealthOf, detectionEventId, detectionEventOf, healthEventId, type CameraContext } from './events.js';
export { EvidenceRecorder, type EvidenceRecorderOptions } from './evidence.js';
export { Gateway, type CameraStatus, type GatewayDeps, type ShutdownReport } from './gateway.js';
export { pipelineMetrics, type PipelineMetrics, type Stage } from './metrics.js';
