/**
 * CPU time of process trees, from /proc: a service and everything under it (the gateway's ffmpeg
 * decoders, PostgreSQL's backends). For each live process of the tree utime + stime, plus cutime +
 * cstime (children that already exited and were waited for), so nothing is counted twice.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK = 100; // USER_HZ: 100 on Linux

interface Stat {
  pid: number;
  ppid: number;
  ticks: number;
}

function stat(pid: number): Stat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: split after the last ')'
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // fields from 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime
    return { pid, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function all(): Stat[] {
  const out: Stat[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const s = stat(Number(d));
    if (s) out.push(s);
  }
  return out;
}

/** CPU seconds used so far by each named tree (root pid and its descendants). */
export function treeCpuSeconds(roots: Record<string, number>): Record<string, number> {
  const procs = all();
  const children = new Map<number, Stat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const out: Record<string, number> = {};
  for (const [name, root] of Object.entries(roots)) {
    let ticks = 0;
    const stack = byPid.get(root) ? [byPid.get(root) as Stat] : [];
    while (stack.length > 0) {
      const p = stack.pop() as Stat;
      ticks += p.ticks;
      stack.push(...(children.get(p.pid) ?? []));
    }
    out[name] = ticks / TICK;
  }
  return out;
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / TICK, total: total / TICK };
}
