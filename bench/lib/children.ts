/**
 * Child processes of the bench: each in its own process group, all registered so that an error,
 * Ctrl-C or a normal exit stops every one of them (and their children).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { signalProcessGroup, spawnProcessGroup, stopProcessGroup } from '../../scripts/lib/process-group.ts';

const live = new Set<ChildProcess>();
const cleanups = new Set<() => Promise<void>>();
const tempDirs = new Set<string>();

/** A temporary folder removed at exit whatever happens (also when a run is interrupted). */
export function registerTempDir(dir: string): string {
  tempDirs.add(dir);
  return dir;
}

/** Removes a temporary folder now. */
export function removeTempDir(dir: string): void {
  tempDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** True once Ctrl-C / SIGTERM arrived: no new run should start. */
export function isShuttingDown(): boolean {
  return shuttingDown !== undefined;
}

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.on('exit', () => live.delete(child));
  return child;
}

/** Forks a TypeScript module of the bench with an IPC channel, in its own process group. */
export function forkModule(modulePath: string, env: Record<string, string> = {}): ChildProcess {
  return track(
    fork(modulePath, [], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, ...env },
    }),
  );
}

/** Spawns a command in its own process group (stdout/stderr piped). */
export function spawnGroup(command: string, args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  return track(
    spawnProcessGroup(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } }),
  );
}

/** Stops a child's whole group: SIGTERM, then SIGKILL after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  return stopProcessGroup(child, { graceMs });
}

/** Registers an async cleanup (e.g. disposing Miniflare) run on shutdown; returns its remover. */
export function onShutdown(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

let shuttingDown: Promise<void> | undefined;
/** Runs the cleanups and stops every child; a second call waits for the first. */
export function shutdownAll(): Promise<void> {
  shuttingDown ??= (async () => {
    const fns = [...cleanups];
    cleanups.clear();
    const results = await Promise.allSettled([...fns.map((f) => f()), ...[...live].map((c) => stopChild(c, 3000))]);
    for (const r of results) if (r.status === 'rejected') console.error(`[bench] cleanup failed: ${String(r.reason)}`);
  })();
  return shuttingDown;
}

let installed = false;
/** Ctrl-C / SIGTERM: stop everything, then exit; on any exit, SIGKILL what is left. */
export function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n[bench] ${signal}: stopping every child process`);
    const force = setTimeout(() => process.exit(130), 10_000);
    void shutdownAll().finally(() => {
      clearTimeout(force);
      process.exit(130);
    });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const c of live) signalProcessGroup(c, 'SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Waits for a message of `type` from a child (rejects on exit or timeout). */
export function nextMessage<T extends { type: string }>(
  child: ChildProcess,
  type: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type) {
        done();
        resolve(m as T);
      } else if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'fatal') {
        done();
        reject(new Error(`child failed: ${(m as { message?: string }).message}`));
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`child exited (${code}) while waiting for "${type}"`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no "${type}" from the child within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Sends a message and waits for the reply of `replyType`. */
export function ask<T extends { type: string }>(
  child: ChildProcess,
  message: { type: string } & Record<string, unknown>,
  replyType: string,
  timeoutMs: number,
): Promise<T> {
  const reply = nextMessage<T>(child, replyType, timeoutMs);
  child.send(message);
  return reply;
}
