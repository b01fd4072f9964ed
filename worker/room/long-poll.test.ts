import { describe, expect, it } from 'vitest';
import { ChangeWaiters } from './long-poll.ts';

describe('worker > room > long-poll > ChangeWaiters', () => {
  it('answers at once when the room is already past `after`', async () => {
    const waiters = new ChangeWaiters();
    expect(await waiters.wait(4, 10_000, () => 9)).toBe(9);
    expect(waiters.size).toBe(0);
  });

  it('wakes the waiters a settle moved past, with the seq then, and leaves the others waiting', async () => {
    const waiters = new ChangeWaiters();
    let lastSeq = 10;
    const low = waiters.wait(10, 10_000, () => lastSeq);
    const high = waiters.wait(20, 30, () => lastSeq);
    expect(waiters.size).toBe(2);
    lastSeq = 15;
    waiters.wake(15);
    expect(await low).toBe(15);
    expect(waiters.size).toBe(1);
    expect(await high).toBe(15); // its timeout: it answers with the seq it did not wait past
    expect(waiters.size).toBe(0);
  });
});
