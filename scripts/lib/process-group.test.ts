import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalProcessGroup, spawnProcessGroup, stopProcessGroup } from './process-group.ts';

/** A shell that starts a grandchild (`sleep`) and prints its pid; `ignoreTerm` makes both ignore SIGTERM. */
async function family(ignoreTerm = false): Promise<{ child: ChildProcess; grandchild: number }> {
  const child = spawnProcessGroup('sh', ['-c', `${ignoreTerm ? 'trap "" TERM; ' : ''}sleep 60 & echo $!; wait`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const grandchild = await new Promise<number>((resolve) =>
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))),
  );
  return { child, grandchild };
}

/** Running, not a zombie (an orphan's exit is reaped by whoever adopted it, maybe late: it counts as gone). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('scripts/lib > process groups', () => {
  it('stops the child and what it started with SIGTERM', async () => {
    const { child, grandchild } = await family();
    let killed = false;
    await stopProcessGroup(child, { graceMs: 10_000, onKill: () => (killed = true) });
    expect(child.signalCode).toBe('SIGTERM');
    expect(killed).toBe(false);
    await expect.poll(() => alive(grandchild)).toBe(false);
  });

  it('kills a group that ignores SIGTERM once the grace period is over, saying so first', async () => {
    const { child, grandchild } = await family(true);
    let killed = false;
    await stopProcessGroup(child, { graceMs: 200, onKill: () => (killed = true) });
    expect(killed).toBe(true);
    expect(child.signalCode).toBe('SIGKILL');
    await expect.poll(() => alive(grandchild)).toBe(false);
  });

  it('does nothing for a child that has already exited', async () => {
    const child = spawnProcessGroup('true', []);
    await new Promise((resolve) => child.once('exit', resolve));
    expect(signalProcessGroup(child, 'SIGTERM')).toBe(false);
    await expect(stopProcessGroup(child)).resolves.toBeUndefined();
  });
});
