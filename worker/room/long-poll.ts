/**
 * Long-poll support (`GET /api/events?…&wait=`, docs/rooms.md): requests waiting for the room's
 * seq to move past what they have seen. Each settle wakes the waiters it moved past; a waiter
 * that hears nothing answers at its timeout (at most MAX_WAIT_MS).
 */

/** Longest a long-poll waits in the room. */
export const MAX_WAIT_MS = 30_000;

type Waiter = { after: number; finish: () => void; timer: ReturnType<typeof setTimeout> };

export class ChangeWaiters {
  private readonly waiting = new Set<Waiter>();

  /** Waiters now (tests). */
  get size(): number {
    return this.waiting.size;
  }

  /** Resolves with `lastSeq()` as soon as it is above `after`, or after `timeoutMs`, whichever comes first. */
  wait(after: number, timeoutMs: number, lastSeq: () => number): Promise<number> {
    if (lastSeq() > after) return Promise.resolve(lastSeq());
    return new Promise<number>((resolve) => {
      const waiter: Waiter = {
        after,
        finish: () => {
          clearTimeout(waiter.timer);
          this.waiting.delete(waiter);
          resolve(lastSeq());
        },
        timer: setTimeout(() => waiter.finish(), Math.max(0, Math.min(timeoutMs, MAX_WAIT_MS))),
      };
      this.waiting.add(waiter);
    });
  }

  /** The room settled up to `upTo`: every waiter below it answers. */
  wake(upTo: number): void {
    for (const w of [...this.waiting]) if (upTo > w.after) w.finish();
  }
}
