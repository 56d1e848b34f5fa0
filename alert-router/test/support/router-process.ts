import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const routerDir = join(import.meta.dirname, '..', '..');

/**
 * The router as a child process (src/main.ts under tsx) with `config` written to `dir/router.json`
 * and its output appended to `dir/router.log`. `start()` spawns it (again after a kill); `kill()`
 * sends SIGKILL (nothing flushed) and resolves once it exited. Killed at teardown. `dist: true`
 * runs the build (dist/main.js, as deployed; starts in a fraction of tsx's time: needs `npx tsc -b`).
 */
export function routerProcess(
  t: { teardown(fn: () => unknown): void },
  o: { dir: string; config: unknown; env: Record<string, string>; dist?: boolean },
): { start(): ChildProcess; kill(): Promise<void> } {
  const cfgFile = join(o.dir, 'router.json');
  writeFileSync(cfgFile, JSON.stringify(o.config));
  const logFile = createWriteStream(join(o.dir, 'router.log'));
  let child: ChildProcess | undefined;
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  t.teardown(kill);
  return {
    start: () => {
      const entry = o.dist ? [join(routerDir, 'dist', 'main.js')] : ['--import', 'tsx', join(routerDir, 'src', 'main.ts')];
      const c = spawn(process.execPath, [...entry, '--config', cfgFile], {
        cwd: routerDir,
        env: { ...process.env, ...o.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      c.stdout?.pipe(logFile, { end: false });
      c.stderr?.pipe(logFile, { end: false });
      child = c;
      return c;
    },
    kill,
  };
}
