/**
 * Launches test/support/rtsp-server.py (gst-rtsp-server under Debian's /usr/bin/python3): a
 * Hikvision-like RTSP camera serving a looped real video at /Streaming/Channels/101 (main) and
 * /102 (sub, half size) with digest auth. Waits for its READY line (bounded); killed in teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'rtsp-server.py');
const PYTHON = '/usr/bin/python3';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface RtspCameraOptions {
  video: string;
  user?: string;
  password?: string;
  /** Fixed port; default: a free one picked here (kept across restart()). */
  port?: number;
  /** Bound on the wait for READY (the first run of a video transcodes it once, then it is cached). */
  readyTimeoutMs?: number;
  /** Serve pre-encoded copies without re-encoding (rtsp-server.py --passthrough): near-zero CPU per camera. */
  passthrough?: boolean;
}

export interface RtspCamera {
  port: number;
  user: string;
  password: string;
  /** `rtsp://user:password@127.0.0.1:port/Streaming/Channels/10x`; credentials override optional. */
  url(stream?: 'main' | 'sub', creds?: { user: string; password: string } | null): string;
  readonly running: boolean;
  stop(): Promise<void>;
  /** Freeze the server (SIGSTOP): connections stay open, nothing is sent. resume() thaws it. */
  freeze(): void;
  resume(): void;
  /** Stop if running, then start again on the same port. */
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function waitExit(proc: ChildProcess, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
  });
}

export async function startRtspCamera(t: Teardown, opts: RtspCameraOptions): Promise<RtspCamera> {
  const user = opts.user ?? 'admin';
  const password = opts.password ?? 'Passw0rd!';
  const port = opts.port ?? (await freePort());
  const cacheDir = join(tmpdir(), 'streetwatch-rtsp-cache');
  let proc: ChildProcess | undefined;

  const launch = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const args = [SCRIPT, '--port', String(port), '--video', opts.video, '--user', user, '--password', password, '--cache-dir', cacheDir];
      if (opts.passthrough === true) args.push('--passthrough');
      const p = spawn(PYTHON, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      proc = p;
      let out = '';
      let err = '';
      const timer = setTimeout(() => {
        p.kill('SIGKILL');
        reject(new Error(`RTSP test camera not READY within ${opts.readyTimeoutMs ?? 60_000} ms: ${err.slice(-2000)}`));
      }, opts.readyTimeoutMs ?? 60_000);
      p.stderr?.on('data', (c: Buffer) => {
        err = (err + c.toString()).slice(-8000);
      });
      p.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        if (/^READY /m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`RTSP test camera exited (${code ?? signal}) before READY: ${out}${err.slice(-2000)}`));
      });
      p.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });

  const stop = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (p === undefined) return;
    p.kill('SIGCONT'); // a frozen server handles SIGTERM only once continued
    p.kill('SIGTERM');
    await waitExit(p, 3000);
  };

  t.teardown(stop);
  await launch();

  return {
    port,
    user,
    password,
    url(stream = 'sub', creds) {
      const path = `/Streaming/Channels/${stream === 'main' ? 101 : 102}`;
      if (creds === null) return `rtsp://127.0.0.1:${port}${path}`;
      const c = creds ?? { user, password };
      return `rtsp://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}${path}`;
    },
    get running() {
      return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
    },
    stop,
    freeze() {
      proc?.kill('SIGSTOP');
    },
    resume() {
      proc?.kill('SIGCONT');
    },
    async restart() {
      await stop();
      // The port may be held for a moment after the old server died: retry the bind a few times.
      for (let attempt = 0; ; attempt++) {
        try {
          await launch();
          return;
        } catch (e) {
          if (attempt >= 5 || !/cannot bind/.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    },
  };
}
