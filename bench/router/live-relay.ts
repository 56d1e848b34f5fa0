/**
 * What a live viewer costs the router: the relay (alert-router/src/live/hub.ts) fanning one
 * camera's real MPEG-1 stream (the vtest walkway transcoded with the gateway's live settings,
 * 640 px, 10 fps, 500 kbit/s cap) out to N WebSocket viewers on loopback, N = 1, 10, 50. The
 * viewers run in a child process (their CPU is not counted); this process's CPU per second at each
 * N, with N = 0 (the stream received, sent to nobody) as the baseline of the same run; the slope
 * is the CPU per viewer.
 *
 *   npx tsc -b && nice -n 10 npx tsx bench/router/live-relay.ts     (repo root; ~1.5 min)
 *
 * Writes bench/results/router-live.json.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { WebSocketServer } from 'ws';
import { createRegistry, parseConfig } from '@streetwatch/platform';
import { encodeLiveChunk } from '@streetwatch/schemas';
import { liveFfmpegArgs, TsChunker } from '@streetwatch/edge-gateway/live';
import { LiveConfig, LiveHub, type LiveSocket } from '@streetwatch/alert-router';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUT = join(REPO, 'bench/results/router-live.json');
const VIDEO = join(process.env.STREETWATCH_SCENES_DIR ?? join(process.env.HOME ?? '', '.cache/streetwatch/scenes'), 'vtest-20s.mp4');
const WINDOW_MS = Number(process.env.BENCH_LIVE_WINDOW_MS ?? 15_000);
const VIEWERS = [0, 1, 10, 50];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The walkway as the gateway would send it: chunks of whole TS packets, with their key flags. */
async function capture(): Promise<Array<{ ts: Buffer; key: boolean }>> {
  const cmd = liveFfmpegArgs({ kind: 'file', path: VIDEO, loop: false, realtime: false }, { width: 640, fps: 10, bitrateKbps: 500, gopSeconds: 1 });
  const args = cmd.args.filter((a) => a !== '-re');
  const out: Array<{ ts: Buffer; key: boolean }> = [];
  const chunker = new TsChunker((ts, key) => out.push({ ts, key }));
  const p = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  p.stdout.on('data', (d: Buffer) => chunker.push(d));
  await new Promise((r) => p.on('close', r));
  return out;
}

const CLIENT = `
const WebSocket = require(${JSON.stringify(join(REPO, 'node_modules/ws'))});
const [url, n] = [process.argv[1], Number(process.argv[2])];
let bytes = 0;
for (let i = 0; i < n; i++) { const ws = new WebSocket(url); ws.on('message', (d) => { bytes += d.length; }); }
setInterval(() => process.stdout.write(bytes + '\\n'), 1000);
`;

async function main(): Promise<void> {
  const chunks = await capture();
  const total = chunks.reduce((s, c) => s + c.ts.length, 0);
  const seconds = 20; // vtest-20s
  const cfg = parseConfig(LiveConfig, {
    signingKeyEnv: 'UNUSED',
    gateways: [{ id: 'box', tokenSha256: '0'.repeat(64) }],
    cameras: [{ id: 'cam', gateway: 'box', zones: { Z: 'd' } }],
    maxViewersPerCamera: 1000,
  });
  const hub = new LiveHub(cfg, { log: pino({ level: 'silent' }), registry: createRegistry('bench') });
  const gw = hub.attachGateway('box', { send: () => undefined, close: () => undefined, bufferedAmount: 0 });
  gw.onText(JSON.stringify({ type: 'hello', gatewayId: 'box', cameras: ['cam'], maxStreams: 1 }));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('connection', (socket) => {
    const r = hub.addViewer('cam', socket as unknown as LiveSocket, 'bench');
    if (r.ok) socket.on('close', () => r.onClose());
  });
  await new Promise((r) => wss.once('listening', r));
  const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
  // Feed the stream in real time, looped.
  let i = 0;
  const feed = setInterval(() => {
    const c = chunks[i % chunks.length]!;
    gw.onBinary(encodeLiveChunk('cam', c.ts, c.key));
    i++;
  }, (seconds * 1000) / chunks.length);

  const rows: Array<Record<string, number>> = [];
  for (const n of VIEWERS) {
    const child = n === 0 ? undefined : spawn(process.execPath, ['-e', CLIENT, url, String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = 0;
    child?.stdout.on('data', (d: Buffer) => {
      received = Number(d.toString().trim().split('\n').at(-1));
    });
    await sleep(3000);
    const r0 = received;
    const c0 = process.cpuUsage();
    const t0 = Date.now();
    await sleep(WINDOW_MS);
    const cpu = process.cpuUsage(c0);
    const secs = (Date.now() - t0) / 1000;
    const row = {
      viewers: n,
      cpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / secs) * 10000) / 10000,
      egressKbps: Math.round((((received - r0) * 8) / secs / 1000) * 10) / 10,
      loadAverage1m: Math.round((loadavg()[0] ?? 0) * 10) / 10,
    };
    rows.push(row);
    console.log(JSON.stringify(row));
    child?.kill();
    await sleep(500);
  }
  clearInterval(feed);
  wss.close();
  const base = rows[0]?.cpuCores ?? 0;
  const top = rows.at(-1) as Record<string, number>;
  const out = {
    measuredAt: new Date().toISOString(),
    stream: { kbps: Math.round((total * 8) / seconds / 1000), what: 'vtest walkway, 640 px, 10 fps, mpeg1video capped at 500 kbit/s' },
    windowMs: WINDOW_MS,
    rows,
    cpuCoresPerViewer: Math.round(((top.cpuCores as number) - base) / (top.viewers as number) * 100000) / 100000,
  };
  writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
