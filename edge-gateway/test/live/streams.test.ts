import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import { LiveConfigSchema, type LiveConfig } from '../../src/live/config.js';
import { liveMetrics } from '../../src/live/metrics.js';
import { LiveStreams, type LiveInput } from '../../src/live/streams.js';
import { TS_PACKET } from '../../src/live/mpegts.js';
import { startRtspCamera } from '../support/rtsp-camera.js';
import { scenePath } from '../support/video.js';
import { waitFor } from '../support/wait.js';

const video = scenePath('vtest-20s.mp4');

function liveConfig(over: Partial<LiveConfig> = {}): LiveConfig {
  const base = Value.Default(LiveConfigSchema, { routerUrl: 'ws://127.0.0.1:1/live/gateway' }) as LiveConfig;
  return { ...base, width: 320, fps: 10, bitrateKbps: 300, idleStopMs: 1500, maxStreams: 1, ...over };
}

interface Recorder {
  chunks: Map<string, Array<{ bytes: Buffer; key: boolean }>>;
  states: Array<[string, string, string | undefined]>;
}

function harness(t: { teardown(fn: () => unknown): void }, cameras: Record<string, LiveInput>, cfg = liveConfig()) {
  const registry = new Registry();
  const rec: Recorder = { chunks: new Map(), states: [] };
  const streams = new LiveStreams(cfg, new Map(Object.entries(cameras)), { log: pino({ level: 'silent' }), metrics: liveMetrics(registry) }, {
    onChunk: (id, bytes, key) => {
      const list = rec.chunks.get(id) ?? [];
      list.push({ bytes, key });
      rec.chunks.set(id, list);
    },
    onState: (id, state, code) => rec.states.push([id, state, code]),
  });
  t.teardown(() => streams.close());
  return { streams, rec, registry };
}

/** Our ffmpeg children (Linux /proc). */
function ffmpegChildren(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return stat.includes('(ffmpeg)') && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values as Array<{ value: number; labels: Record<string, string> }> | undefined)?.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
}

t.test('the live transcodes of a box against the real RTSP camera', async (t) => {
  const camera = await startRtspCamera(t, { video });
  const input: LiveInput = () => ({ kind: 'rtsp', url: camera.url('sub'), ioTimeoutMs: 10_000 });
  const { streams, rec, registry } = harness(t, { 'cam-a': input, 'cam-b': input, 'cam-bad': () => ({ kind: 'rtsp', url: camera.url('sub', { user: camera.user, password: 'wrong-password' }) }) });

  t.test('one transcode per camera however many watch: MPEG-1 in MPEG-TS, at its size, its CPU counted', async (t) => {
    streams.watch('cam-a', 1);
    await waitFor(() => (rec.chunks.get('cam-a') ?? []).filter((c) => c.key).length >= 2, { timeoutMs: 20_000, what: 'two picture groups' });
    const first = streams.stream('cam-a');
    streams.watch('cam-a', 2);
    streams.watch('cam-a', 3);
    t.equal(streams.stream('cam-a')?.pid, first?.pid, 'more viewers: the same ffmpeg');
    t.equal(ffmpegChildren().length, 1, 'one ffmpeg for three viewers');
    t.equal(streams.active, 1);

    const chunks = rec.chunks.get('cam-a') ?? [];
    t.ok(chunks[0]?.key, 'the stream begins with a picture group');
    t.ok(chunks.every((c) => c.bytes.length % TS_PACKET === 0 && c.bytes[0] === 0x47), 'whole TS packets');
    const dir = mkdtempSync(join(tmpdir(), 'live-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 's.ts'), Buffer.concat(chunks.map((c) => c.bytes)));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', join(dir, 's.ts')], { encoding: 'utf8' })) as {
      streams: Array<{ codec_name: string; width: number; height: number; codec_type: string }>;
    };
    t.match(probe.streams, [{ codec_type: 'video', codec_name: 'mpeg1video', width: 320, height: 240 }]);
    t.equal(probe.streams.length, 1, 'video only');

    const pid = first?.pid as number;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    t.notOk(cmdline.includes(camera.password), 'the camera password is not on the command line');
    const nice = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16]);
    t.equal(nice, 10, 'below the detection’s CPU priority');
    const cpu = await waitFor(async () => (await metric(registry, 'streetwatch_edge_live_transcode_cpu_seconds_total', { camera: 'cam-a' })) || false, { timeoutMs: 10_000, what: 'transcode CPU counted' });
    t.ok(cpu > 0 && cpu < 30, `CPU counted from /proc: ${cpu} s`);
    t.equal(await metric(registry, 'streetwatch_edge_live_streams_active'), 1);
  });

  t.test('a camera past the box limit is refused; nobody watching stops the transcode after the idle time', async (t) => {
    streams.watch('cam-b', 1);
    t.same(rec.states.filter(([id]) => id === 'cam-b'), [['cam-b', 'refused', 'SW_EDGE_LIVE_LIMIT']]);
    t.equal(await metric(registry, 'streetwatch_edge_live_starts_total', { camera: 'cam-b', result: 'refused' }), 1);
    const pid = streams.stream('cam-a')?.pid;
    streams.watch('cam-a', 0);
    t.equal(streams.stream('cam-a')?.pid, pid, 'still running right after the last viewer left (idle time)');
    streams.watch('cam-a', 1);
    streams.watch('cam-a', 0);
    await waitFor(() => streams.active === 0, { timeoutMs: 10_000, what: 'the idle stop' });
    await waitFor(() => ffmpegChildren().length === 0, { timeoutMs: 5000, what: 'ffmpeg gone' });
    t.same(rec.states.filter(([id]) => id === 'cam-a').map(([, s]) => s), ['starting', 'streaming', 'stopped']);
  });

  t.test('a camera that refuses the password fails with its code, and the slot is free again', async (t) => {
    streams.watch('cam-bad', 1);
    await waitFor(() => rec.states.find(([id, s]) => id === 'cam-bad' && s === 'failed'), { timeoutMs: 15_000, what: 'the failure' });
    t.same(rec.states.filter(([id]) => id === 'cam-bad').at(-1), ['cam-bad', 'failed', 'SW_EDGE_CAMERA_AUTH']);
    t.equal(streams.active, 0);
  });
});
