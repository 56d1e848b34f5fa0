/**
 * Flow counting on real footage: vtest.avi (Debian opencv-doc, a pedestrian walkway, 795 frames at
 * 10 fps, 768x576) through the real gateway pipeline (CameraPipeline: file source and ffmpeg on a
 * virtual clock, motion gate, the shared detector queue in front of the real centernet detector,
 * tracker, count line), the FlowCount messages it would put in the outbox collected in memory and
 * compared with the hand-counted truth of examples/scenes/counting/vtest-walkway.json.
 *
 * Used by the gateway's test (edge-gateway/test/counting/vtest.test.ts, one frame rate) and by
 * bench/counting/evaluate.ts (1, 2 and 5 fps, and the counter's CPU per frame).
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { analyticsFor, CameraPipeline, parseGatewayConfig, pipelineMetrics, type DetectorQueue, type OutboxRecord } from '@streetwatch/edge-gateway';
import type { FlowCount } from '@streetwatch/schemas';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TRUTH_FILE = join(REPO, 'examples/scenes/counting/vtest-walkway.json');
/** eventTime of vtest's first frame: a whole minute, so minute 0 = frames 0-599, minute 1 = 600-794. */
export const ORIGIN = Date.parse('2026-11-26T06:00:00.000Z');

export interface TruthCrossing {
  /** Video frames (10 fps) between which the person's feet cross the line. */
  frames: [number, number];
  direction: 'in' | 'out';
  note: string;
}

export interface CountingTruth {
  description: string;
  video: string;
  videoFps: number;
  /** The count line, as in a gateway config's zones. */
  line: { id: string; type: 'count_line'; line: [[number, number], [number, number]]; classes?: Record<string, string[]>; hysteresis?: number };
  /** Every crossing of the line by a person, counted by hand from extracted frames. */
  crossings: TruthCrossing[];
}

export function loadTruth(): CountingTruth {
  return JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) as CountingTruth;
}

export interface Totals {
  in: number;
  out: number;
}

/** Truth per minute of event time (by the crossing's middle frame). */
export function truthByMinute(truth: CountingTruth): Map<number, Totals> {
  const out = new Map<number, Totals>();
  for (const c of truth.crossings) {
    const minute = Math.floor((c.frames[0] + c.frames[1]) / 2 / truth.videoFps / 60);
    const m = out.get(minute) ?? { in: 0, out: 0 };
    m[c.direction]++;
    out.set(minute, m);
  }
  return out;
}

export interface CountRun {
  fps: number;
  /** Counted people per direction, whole clip. */
  people: Totals;
  /** Per minute of the clip (0, 1). */
  byMinute: Map<number, Totals>;
  flows: FlowCount[];
  frames: number;
  detectorRuns: number;
  /** ms spent in the count stage, all frames (wall, in-process) */
  countMs: number;
  trackMs: number;
  wallSeconds: number;
}

/** Run vtest at `fps` analysed frames per second through the pipeline with the truth's count line. */
export async function countVtest(videoPath: string, fps: number, opts: { detector: DetectorQueue; log?: Logger; truth?: CountingTruth }): Promise<CountRun> {
  const t0 = performance.now();
  const truth = opts.truth ?? loadTruth();
  const log = opts.log ?? pino({ level: 'warn' });
  const config = parseGatewayConfig(
    {
      gatewayId: 'gw-counting',
      outbox: { path: ':memory:' },
      detector: { modelDir: '/unused-the-queue-is-given' },
      cameras: [
        {
          id: 'vtest',
          source: { type: 'file', path: videoPath, startTime: new Date(ORIGIN).toISOString() },
          analytic: { fps },
          zones: [truth.line],
        },
      ],
    },
    'counting run',
  );
  const camera = config.cameras[0];
  if (!camera) throw new Error('no camera');
  const records: OutboxRecord[] = [];
  const registry = new Registry();
  let ended!: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const pipeline = new CameraPipeline(camera, analyticsFor(config, camera), {
    gatewayId: config.gatewayId,
    model: { name: 'centernet', version: 'counting' },
    detector: opts.detector,
    sink: { append: (rs) => records.push(...rs) },
    metrics: pipelineMetrics(registry),
    log,
    registry,
    onEnd: () => ended(),
  });
  pipeline.start();
  await done;
  await pipeline.stop();
  await pipeline.closeViolations(); // closes the last (partial) minute too
  const flows = records.filter((r) => r.topic === 'flowCounts').map((r) => JSON.parse(r.value) as FlowCount);
  const people: Totals = { in: 0, out: 0 };
  const byMinute = new Map<number, Totals>();
  for (const f of flows) {
    const minute = (Date.parse(f.minute) - ORIGIN) / 60_000;
    const m = byMinute.get(minute) ?? { in: 0, out: 0 };
    for (const c of f.counts) {
      if (c.objectClass !== 'person') continue;
      people[c.direction] += c.count;
      m[c.direction] += c.count;
    }
    byMinute.set(minute, m);
  }
  const stats = pipeline.stats();
  return {
    fps,
    people,
    byMinute,
    flows,
    frames: stats.frames,
    detectorRuns: stats.detectorRuns,
    countMs: stats.stageMs.count,
    trackMs: stats.stageMs.track,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

/** |counted - truth| per direction, and relative to the truth's total crossings. */
export function countError(run: Totals, truth: Totals): { in: number; out: number; total: number; relative: number } {
  const e = { in: Math.abs(run.in - truth.in), out: Math.abs(run.out - truth.out) };
  const total = e.in + e.out;
  return { ...e, total, relative: total / Math.max(1, truth.in + truth.out) };
}

export function truthTotals(truth: CountingTruth): Totals {
  return {
    in: truth.crossings.filter((c) => c.direction === 'in').length,
    out: truth.crossings.filter((c) => c.direction === 'out').length,
  };
}
