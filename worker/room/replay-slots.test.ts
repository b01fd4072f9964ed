import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplaySlots } from './replay-slots.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

describe('worker > room > ReplaySlots', () => {
  it('keeps one holder to its share while another holder is served from the free slots', async () => {
    const slots = new ReplaySlots(() => ({ total: 4, perHolder: 2 }));
    const hog = await Promise.all([slots.acquire('hog'), slots.acquire('hog')]);
    let third = false;
    void slots.acquire('hog').then(() => (third = true));
    const other = await slots.acquire('other');
    await tick();
    expect(third).toBe(false); // the hog waits for one of its own, although a slot is free
    expect(slots.inUseBy('hog')).toBe(2);
    expect(slots.inUseBy()).toBe(3);
    hog[0]!();
    await tick();
    expect(third).toBe(true);
    other();
    hog[1]!();
  });

  it('serves waiters first come, first served among those under their share, and a release is idempotent', async () => {
    const slots = new ReplaySlots(() => ({ total: 1, perHolder: 1 }));
    const first = await slots.acquire('a');
    const order: string[] = [];
    const b = slots.acquire('b').then((r) => (order.push('b'), r));
    const c = slots.acquire('c').then((r) => (order.push('c'), r));
    first();
    first(); // twice: still one slot given back
    const rb = await b;
    await tick();
    expect(order).toEqual(['b']);
    expect(slots.inUseBy()).toBe(1);
    rb();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(slots.inUseBy()).toBe(0);
  });

  it('property: never more than total slots, never more than the share per holder, and every request is served', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 40,
        }),
        async (total, perHolder, requests) => {
          const slots = new ReplaySlots(() => ({ total, perHolder }));
          const share = Math.min(total, perHolder);
          const held = new Map<string, number>();
          let inUse = 0;
          let served = 0;
          await Promise.all(
            requests.map(([holder, ticks]) =>
              slots.run(holder, async () => {
                inUse++;
                held.set(holder, (held.get(holder) ?? 0) + 1);
                expect(inUse).toBeLessThanOrEqual(total);
                expect(held.get(holder)).toBeLessThanOrEqual(share);
                for (let i = 0; i < ticks; i++) await tick();
                inUse--;
                held.set(holder, held.get(holder)! - 1);
                served++;
              }),
            ),
          );
          expect(served).toBe(requests.length);
          expect(slots.inUseBy()).toBe(0);
          expect(slots.queued).toBe(0);
          expect(slots.peakPerHolder).toBeLessThanOrEqual(share);
        },
      ),
      { numRuns: 200 },
    );
  });
});
