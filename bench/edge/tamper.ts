/**
 * CPU per analysed frame of the tamper check (tamper/: gradient map, brightness-relative edge
 * density and contrast, correlation with the reference, reference adaptation) against the stage
 * it rides on, the motion gate (area-average of the 640x480 rgb24 analytic frame down to 160x90
 * grey + background difference), in the same run on the same frames: real footage (vtest.avi,
 * the walkway, 2 fps). And, for the camera's own analytics (isapi/), CPU per alert-stream part:
 * multipart framing + EventNotificationAlert XML parse, for an event with a region and a heartbeat.
 *
 *   npx tsc -b && npx tsx bench/edge/tamper.ts     (repo root; imports the built package; ~20 s)
 *
 * Writes bench/results/edge-tamper.json. No assertions: numbers only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import {
  MotionConfigSchema,
  MotionGate,
  MultipartStreamParser,
  parseAlert,
  TamperConfigSchema,
  TamperDetector,
  type Frame,
  type MotionConfig,
  type TamperConfig,
} from '@streetwatch/edge-gateway';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const data = execFileSync('bash', [join(ROOT, 'examples/scenes/fetch-video.sh')], { encoding: 'utf8' }).trim().split('\n').pop() as string;
const W = 640;
const H = 480;
const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', join(data, 'vtest.avi'), '-vf', `fps=2,scale=${W}:${H}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 30 });
const n = Math.floor(raw.length / (W * H * 3));
const frames: Frame[] = Array.from({ length: n }, (_, i) => ({ cameraId: 'bench', seq: i, width: W, height: H, data: raw.subarray(i * W * H * 3, (i + 1) * W * H * 3), eventTime: new Date(Date.UTC(2026, 11, 6) + i * 500) }));

const motion = Value.Default(MotionConfigSchema, {}) as MotionConfig;
const tamperCfg = { ...(Value.Default(TamperConfigSchema, {}) as TamperConfig), learnSeconds: 10 };
const cpuMs = (f: () => void): number => {
  const c0 = process.cpuUsage();
  f();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

const ROUNDS = 5;
const rounds: { motionMsPerFrame: number; tamperMsPerFrame: number }[] = [];
for (let r = 0; r < ROUNDS; r++) {
  // alternate the two stages over the same frames; the tamper check gets the gate's grey frame, as in the pipeline
  const gate = new MotionGate(motion);
  const tamper = new TamperDetector(tamperCfg, motion.width, motion.height);
  let motionMs = 0;
  let tamperMs = 0;
  for (const f of frames) {
    let grey: Float32Array | undefined;
    motionMs += cpuMs(() => (grey = gate.evaluate(f).grey));
    tamperMs += cpuMs(() => tamper.update(grey as Float32Array, f.eventTime));
  }
  rounds.push({ motionMsPerFrame: motionMs / frames.length, tamperMsPerFrame: tamperMs / frames.length });
}

// ISAPI alert-stream parts: an event with a region, and the heartbeat, framed as the camera sends them
const xml = (type: string, state: string, region: boolean) =>
  `<?xml version="1.0" encoding="UTF-8"?>\r\n<EventNotificationAlert version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">\r\n<ipAddress>10.0.0.64</ipAddress>\r\n<portNo>80</portNo>\r\n<protocol>HTTP</protocol>\r\n<macAddress>44:47:cc:11:22:33</macAddress>\r\n<channelID>1</channelID>\r\n<dateTime>2026-12-06T13:00:00+08:00</dateTime>\r\n<activePostCount>1</activePostCount>\r\n<eventType>${type}</eventType>\r\n<eventState>${state}</eventState>\r\n<eventDescription>${type} alarm</eventDescription>\r\n${region ? '<DetectionRegionList><DetectionRegionEntry><regionID>1</regionID><RegionCoordinatesList><RegionCoordinates><positionX>200</positionX><positionY>300</positionY></RegionCoordinates><RegionCoordinates><positionX>500</positionX><positionY>300</positionY></RegionCoordinates><RegionCoordinates><positionX>500</positionX><positionY>100</positionY></RegionCoordinates><RegionCoordinates><positionX>200</positionX><positionY>100</positionY></RegionCoordinates></RegionCoordinatesList></DetectionRegionEntry></DetectionRegionList>\r\n' : ''}</EventNotificationAlert>\r\n`;
const part = (body: string) => Buffer.from(`--boundary\r\nContent-Type: application/xml; charset="UTF-8"\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}\r\n`);
const PARTS = 5000;
const isapi: Record<string, number> = {};
for (const [name, body] of [
  ['eventWithRegionMs', xml('parking', 'active', true)],
  ['heartbeatMs', xml('videoloss', 'inactive', false)],
] as const) {
  const chunk = part(body);
  const parser = new MultipartStreamParser('boundary');
  const ms = cpuMs(() => {
    for (let i = 0; i < PARTS; i++) for (const p of parser.push(chunk)) if ('body' in p) parseAlert(p.headers['content-type'], p.body);
  });
  isapi[name] = ms / PARTS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const result = {
  when: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg().map((x) => Math.round(x * 10) / 10) },
  frames: frames.length,
  analyticFrame: `${W}x${H} rgb24, vtest.avi at 2 fps`,
  greyFrame: `${motion.width}x${motion.height}`,
  rounds,
  median: {
    motionMsPerFrame: Math.round(median(rounds.map((r) => r.motionMsPerFrame)) * 1000) / 1000,
    tamperMsPerFrame: Math.round(median(rounds.map((r) => r.tamperMsPerFrame)) * 1000) / 1000,
    tamperOverMotion: Math.round(median(rounds.map((r) => r.tamperMsPerFrame / r.motionMsPerFrame)) * 1000) / 1000,
  },
  isapiCpuMsPerPart: Object.fromEntries(Object.entries(isapi).map(([k, v]) => [k, Math.round(v * 1000) / 1000])),
  goal: 'under 2 ms CPU per analysed frame (issue 15)',
};
mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/edge-tamper.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result.median), JSON.stringify(result.isapiCpuMsPerPart), `load ${result.machine.loadavg.join(' ')}`);
