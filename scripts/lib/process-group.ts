/**
 * Child processes started in a process group of their own and stopped as a group, so that what
 * they start in turn (wrangler's workerd, `npm start`'s broker, Worker, bridge and simulator)
 * stops with them and nothing is left behind.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/** Spawns `command` as the leader of a new process group (`detached`), stdio as `options` say. */
export function spawnProcessGroup(
  command: string,
  args: readonly string[],
  options: Omit<SpawnOptions, 'detached'> = {},
): ChildProcess {
  return spawn(command, args, { ...options, detached: true });
}

const running = (child: ChildProcess) =>
  child.pid !== undefined && child.exitCode === null && child.signalCode === null;

/** Sends `signal` to the child's whole group; false when the child or its group is already gone. */
export function signalProcessGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (!running(child)) return false;
  try {
    process.kill(-child.pid!, signal);
    return true;
  } catch {
    return false; // the group is gone (ESRCH): nothing left to stop
  }
}

/**
 * Stops the child's group: SIGTERM, then SIGKILL if the child has not exited after `graceMs`
 * (`onKill` is told first, e.g. to log it). Resolves once the child has exited.
 */
export async function stopProcessGroup(
  child: ChildProcess,
  opts: { graceMs?: number; onKill?: () => void } = {},
): Promise<void> {
  if (!running(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (!signalProcessGroup(child, 'SIGTERM')) return;
  const timer = setTimeout(() => {
    opts.onKill?.();
    signalProcessGroup(child, 'SIGKILL');
  }, opts.graceMs ?? 5000);
  await exited;
  clearTimeout(timer);
}
