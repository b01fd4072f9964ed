/** Process accounting from /proc (Linux): CPU seconds and RSS of process trees. */
import { readFileSync, readdirSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

type Stat = { pid: number; ppid: number; comm: string; cpuTicks: number; rssPages: number };

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces: split after the last ')'
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' '); // f[0] = state (field 3)
    return { pid, ppid: Number(f[1]), comm, cpuTicks: Number(f[11]) + Number(f[12]), rssPages: Number(f[21]) };
  } catch {
    return undefined; // the process is gone
  }
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** The pids of `root` and all its descendants. */
export function processTree(root: number): number[] {
  const stats = allStats();
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!stats.some((s) => s.pid === pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Descendants of `root` whose command name is `comm` (e.g. the workerd that Miniflare spawns). */
export function descendantsNamed(root: number, comm: string): number[] {
  return processTree(root).filter((pid) => pid !== root && readStat(pid)?.comm === comm);
}

/** User + system CPU seconds of these processes so far (gone processes count 0). */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.cpuTicks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

/** Resident set size in bytes (VmRSS) of these processes. */
export function rssBytes(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += m ? Number(m[1]) * 1024 : 0;
    } catch {
      // gone
    }
  }
  return total;
}

/** A CPU meter over a fixed set of processes: `read()` gives seconds since `start()`. */
export function cpuMeter(pids: () => number[]): { start(): void; read(): number } {
  let base = new Map<number, number>();
  const snapshot = () => new Map(pids().map((p) => [p, cpuSeconds([p])]));
  return {
    start() {
      base = snapshot();
    },
    read() {
      let total = 0;
      for (const [pid, now] of snapshot()) total += now - (base.get(pid) ?? 0);
      return Math.round(total * 100) / 100;
    },
  };
}
