/**
 * `npm start`'s whole stack (scripts/start.ts: broker, Worker under wrangler dev, bridge), started
 * in its own process group on free ports and a fresh state folder, for the tools that need the
 * real thing end to end: the browser test and the dashboard benchmark.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';
import { ROOT } from './paths.ts';
import { spawnProcessGroup, stopProcessGroup } from './process-group.ts';

export type LocalStack = {
  child: ChildProcess;
  /** Every line the stack printed (prefixed per process: `[worker]`, `[bridge]`, …). */
  log: string[];
  /** The dashboard link it printed, with an admin token in its fragment. */
  link: string;
  /** `http://127.0.0.1:<port>`: the Worker and the dashboard. */
  origin: string;
  /** The admin token of the link. */
  token: string;
  /** Stops the whole group (SIGKILL after `graceMs`) and removes the state folder. */
  stop(graceMs?: number): Promise<void>;
};

/**
 * Starts the stack with `env` on top (SIMULATE=0 unless given) and resolves once the dashboard
 * link is printed and the bridge consumes; rejects if the stack exits or is not up in `timeoutMs`.
 */
export async function startLocalStack(
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<LocalStack> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const persist = mkdtempSync(path.join(tmpdir(), 'quaycast-stack-'));
  const timeoutMs = opts.timeoutMs ?? 240_000;
  const child = spawnProcessGroup(process.execPath, [path.join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      PERSIST_TO: persist,
      SIMULATE: '0',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const stop = async (graceMs = 30_000) => {
    await stopProcessGroup(child, { graceMs });
    rmSync(persist, { recursive: true, force: true });
  };
  const tail = () => log.slice(-30).join('\n');
  try {
    const link = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no dashboard link in ${timeoutMs / 1000} s:\n${tail()}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) {
          if (line.trim()) log.push(line);
          const m = /dashboard: (http:\/\/\S+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`scripts/start.ts exited (${code}):\n${tail()}`));
      });
    });
    // The bridge joins its group after the link is printed.
    const deadline = Date.now() + 60_000;
    while (!log.some((l) => l.includes('[bridge]') && l.includes('"msg":"consuming"'))) {
      if (Date.now() > deadline) throw new Error(`the bridge did not start consuming:\n${tail()}`);
      await sleep(200);
    }
    const u = new URL(link);
    return { child, log, link, origin: u.origin, token: new URLSearchParams(u.hash.slice(1)).get('token')!, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
