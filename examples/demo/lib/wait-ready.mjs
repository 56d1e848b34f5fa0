// Waits (bounded) until a service answers HTTP 200 on `url`, or a line of its log matches
// `--line <regex>`; fails at once when its process exits. Exit 0 ready, 1 with a message naming
// the service, its log and the log's last lines.
//   node wait-ready.mjs <name> <pid> <log> <timeoutS> (--url <url> | --line <regex>)
import { existsSync, readFileSync } from 'node:fs';

const [name, pid, log, timeoutS, mode, what] = process.argv.slice(2);
if (!name || !pid || !log || !timeoutS || !['--url', '--line'].includes(mode) || !what) {
  process.stderr.write('usage: wait-ready.mjs <name> <pid> <log> <timeoutS> (--url <url> | --line <regex>)\n');
  process.exit(2);
}
const deadline = Date.now() + Number(timeoutS) * 1000;

const tail = () =>
  existsSync(log)
    ? readFileSync(log, 'utf8').trimEnd().split('\n').slice(-15).map((l) => `    ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`).join('\n')
    : `    (no ${log})`;

function alive() {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

async function ready() {
  if (mode === '--line') return existsSync(log) && new RegExp(what, 'm').test(readFileSync(log, 'utf8'));
  try {
    const res = await fetch(what, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

for (;;) {
  if (await ready()) process.exit(0);
  if (!alive()) {
    process.stderr.write(`demo: ${name} (pid ${pid}) exited while starting — log ${log}:\n${tail()}\n`);
    process.exit(1);
  }
  if (Date.now() > deadline) {
    process.stderr.write(`demo: ${name} not ready within ${timeoutS} s (${what}) — log ${log}:\n${tail()}\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}
