/**
 * One quality scene through the real gateway pipeline: CameraPipeline with the file source (real
 * ffmpeg decoding the composed scene on a virtual clock, as fast as the pipeline takes frames),
 * motion gate, static objects, the shared detector queue in front of the real centernet detector,
 * tracker, rules, evidence JPEGs on disk; the DetectionEvents it would put in the outbox are
 * collected in memory and scored against the scene's ground truth (match.ts).
 *
 * Scenes: examples/scenes/quality/<id>.json (recipe, zones, truth) composed by
 * examples/scenes/make-quality-scenes.sh.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  analyticsFor,
  CameraPipeline,
  DetectorQueue,
  EvidenceRecorder,
  parseGatewayConfig,
  pipelineMetrics,
  type OutboxRecord,
  type ZoneConfig,
} from '@streetwatch/edge-gateway';
import { matchScene, type Alarm, type Outcome, type TruthEvent } from './match.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCENE_DIR = join(REPO, 'examples/scenes/quality');
/** eventTime of a scene's first frame: 14:00 in Shanghai (inside the spillover schedule). */
export const ORIGIN = Date.parse('2024-05-06T06:00:00.000Z');

export interface SceneTruthEntry {
  id: string;
  type: string;
  zone: string;
  onset: number;
  end: number;
}

export interface Scene {
  id: string;
  split: 'dev' | 'heldout';
  description: string;
  duration: number;
  zones: ZoneConfig[];
  truth: SceneTruthEntry[];
}

export function loadScenes(): Scene[] {
  return readdirSync(SCENE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(SCENE_DIR, f), 'utf8')) as Scene);
}

/** Compose (or find cached) the scenes' videos; returns their folder. */
export function makeScenes(ids: readonly string[] = []): string {
  const out = execFileSync('bash', [join(REPO, 'examples/scenes/make-quality-scenes.sh'), ...ids], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').at(-1) ?? '';
}

/** The truth with each event's dwell taken from its zone. */
export function truthEvents(scene: Scene): TruthEvent[] {
  return scene.truth.map((e) => {
    const zone = scene.zones.find((z) => z.id === e.zone);
    if (!zone?.dwellSeconds) throw new Error(`scene ${scene.id}: truth ${e.id} names zone ${e.zone} without dwellSeconds`);
    return { ...e, dwell: zone.dwellSeconds };
  });
}

interface Detection {
  phase: 'start' | 'update' | 'end';
  violationId: string;
  type: string;
  zoneId: string;
  eventTime: string;
  startedAt: string;
  objectClass: string;
  endReason?: string;
}

export interface SceneRun {
  scene: string;
  split: string;
  fps: number;
  duration: number;
  frames: number;
  detectorRuns: number;
  /** wall seconds of the run */
  wallSeconds: number;
  alarms: (Alarm & { startedAt: number; objectClass: string; endReason?: string })[];
  outcomes: Outcome[];
}

const rel = (iso: string): number => (Date.parse(iso) - ORIGIN) / 1000;

/** Alarms (start events, with their end) from the pipeline's DetectionEvents. */
export function alarmsOf(detections: readonly Detection[]): SceneRun['alarms'] {
  const ends = new Map(detections.filter((d) => d.phase === 'end').map((d) => [d.violationId, d]));
  return detections
    .filter((d) => d.phase === 'start')
    .map((d) => {
      const end = ends.get(d.violationId);
      return {
        type: d.type,
        zone: d.zoneId,
        time: rel(d.eventTime),
        startedAt: rel(d.startedAt),
        objectClass: d.objectClass,
        violationId: d.violationId,
        ...(end && { endTime: rel(end.eventTime), endAtShutdown: end.endReason === 'shutdown', ...(end.endReason !== undefined && { endReason: end.endReason }) }),
      };
    });
}

export interface EvaluateOptions {
  /** the shared detector queue (one real detector for every scene; scenes run one at a time) */
  detector: DetectorQueue;
  videoDir: string;
  log?: Logger;
  /** analytics overrides for every scene (e.g. an A/B of a setting) */
  analytics?: Record<string, unknown>;
}

/** Run `scene` at `fps` through the camera pipeline and score it. */
export async function evaluateScene(scene: Scene, fps: number, opts: EvaluateOptions): Promise<SceneRun> {
  const t0 = performance.now();
  const work = mkdtempSync(join(tmpdir(), `sw-quality-${scene.id}-`));
  const log = opts.log ?? pino({ level: 'warn' });
  const config = parseGatewayConfig(
    {
      gatewayId: 'gw-quality',
      outbox: { path: ':memory:' },
      evidence: { jpegQuality: 70 },
      detector: { modelDir: '/unused-the-queue-is-given' },
      ...(opts.analytics && { analytics: opts.analytics }),
      cameras: [
        {
          id: scene.id,
          source: { type: 'file', path: join(opts.videoDir, `${scene.id}.mp4`), startTime: new Date(ORIGIN).toISOString() },
          analytic: { fps },
          zones: scene.zones,
        },
      ],
    },
    `scene ${scene.id}`,
  );
  const camera = config.cameras[0];
  if (!camera) throw new Error('no camera');
  const records: OutboxRecord[] = [];
  const registry = new Registry();
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const pipeline = new CameraPipeline(camera, analyticsFor(config, camera), {
    gatewayId: config.gatewayId,
    model: { name: 'centernet', version: 'quality' },
    detector: opts.detector,
    evidence: new EvidenceRecorder({ prefix: 'edge/quality/', quality: 70 }),
    sink: { append: (rs) => records.push(...rs) },
    metrics: pipelineMetrics(registry),
    log,
    registry,
    onEnd: () => ended(),
  });
  try {
    pipeline.start();
    await done;
    await pipeline.stop();
    await pipeline.closeViolations();
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const stats = pipeline.stats();
  const detections = records.filter((r) => r.topic === 'detections').map((r) => JSON.parse(r.value) as Detection);
  const alarms = alarmsOf(detections);
  const outcomes = matchScene({ duration: scene.duration, events: truthEvents(scene) }, alarms);
  return {
    scene: scene.id,
    split: scene.split,
    fps,
    duration: scene.duration,
    frames: stats.frames,
    detectorRuns: stats.detectorRuns,
    wallSeconds: (performance.now() - t0) / 1000,
    alarms,
    outcomes,
  };
}
