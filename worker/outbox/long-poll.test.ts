import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BellAnswer } from './bell.ts';
import { pendingOrWait, type LongPollDeps } from './long-poll.ts';

/**
 * A model of D1 and the bell on a virtual clock. A store commits the row, then rings (the API's
 * order). `storeAt` runs a store inside a given step of the long-poll — between taking the token
 * and the read, between the read and the park — the interleavings a real race can produce.
 */
function model(storeDuring: Set<'current' | 'read' | 'park'>) {
  let clock = 0;
  let version = 0;
  const rows: string[] = [];
  let wake: (() => void) | undefined;
  let parkEndsAt = Number.POSITIVE_INFINITY;
  const store = (id: string) => {
    rows.push(id);
    version++;
    wake?.();
  };
  const deps: LongPollDeps<string> = {
    now: () => clock,
    async current() {
      const t = String(version);
      if (storeDuring.delete('current')) store('after-token');
      return t;
    },
    async read() {
      const seen = [...rows];
      if (storeDuring.delete('read')) store('after-read');
      return seen;
    },
    async park(since, ms): Promise<BellAnswer> {
      if (since !== String(version)) return { token: String(version), rang: true };
      parkEndsAt = clock + ms;
      // A store that lands while parked: the ring wakes the park; otherwise the clock runs to its end.
      if (storeDuring.delete('park')) {
        const woken = new Promise<void>((r) => {
          wake = r;
        });
        clock += Math.floor(ms / 2);
        store('while-parked');
        await woken;
        wake = undefined;
      } else clock = parkEndsAt;
      return { token: String(version), rang: since !== String(version) };
    },
  };
  return { deps, rows, clock: () => clock };
}

describe('pendingOrWait', () => {
  it('answers at once with the pending rows', async () => {
    const m = model(new Set());
    m.rows.push('a');
    expect(await pendingOrWait(m.deps, 30_000)).toEqual(['a']);
    expect(m.clock()).toBe(0);
  });

  it('answers an empty page at the deadline when nothing is stored', async () => {
    const m = model(new Set());
    expect(await pendingOrWait(m.deps, 30_000)).toEqual([]);
    expect(m.clock()).toBe(30_000);
  });

  it('regression: a row stored between the read and the park is answered without waiting the period', async () => {
    const m = model(new Set(['read']));
    expect(await pendingOrWait(m.deps, 30_000)).toEqual(['after-read']);
    expect(m.clock()).toBe(0);
  });

  it('whatever step a store lands in, the row is answered before the deadline (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray(['current', 'read', 'park'] as const, { minLength: 1 }),
        fc.integer({ min: 2, max: 30_000 }),
        async (steps, waitMs) => {
          const m = model(new Set(steps));
          const rows = await pendingOrWait(m.deps, waitMs);
          expect(rows.length).toBeGreaterThan(0);
          expect(m.clock()).toBeLessThan(waitMs);
        },
      ),
    );
  });
});
