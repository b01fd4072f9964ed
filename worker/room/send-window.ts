/**
 * The room's send window (docs/rooms.md, "Fan-out under load"): how long the next flush waits so
 * that the room's sends (subscribers × frames, what costs workerd CPU: ~20 µs per `send` call,
 * bench/README.md) stay inside a budget, never longer than a latency bound.
 *
 * It is a generic cell rate algorithm (GCRA, the token bucket without tokens) over sends:
 *  - a flush of `sends` sends moves the budget's "theoretical time" `tat` on by
 *    `sends / budget` seconds (from now, if `tat` was in the past: unused budget is not saved up);
 *  - the next flush may go when `tat - tolerance <= now`; the tolerance (one bound's worth of
 *    budget) lets a jittered stream under budget through without waiting;
 *  - the wait is capped at `maxSendDelayMs`: a room so large that one flush alone costs more than
 *    the bound's budget flushes every `maxDelayMs`, over budget; latency wins (the bound is a
 *    promise, the budget a target); the debt is then forgiven, not carried, so the window narrows
 *    as soon as load falls.
 * So: a quiet room sends at once (leading edge); a busy one waits just long enough; the wait is
 * monotone in load, and it is zero at the latest one bound after the room's last flush (sooner,
 * after n / budget seconds, when the room was under budget).
 *
 * Pure (no clock, no timers): the Fanout gives it `now` and the sends it made.
 */

/** The window's policy (from RoomLimits, which worker/config.ts fills). */
export type SendWindowPolicy = {
  /** Sends per second the room aims to stay under (each subscriber's frame is one send). */
  sendBudgetPerSecond: number;
  /** The longest a settled change waits for its flush, whatever the load. */
  maxSendDelayMs: number;
  /**
   * When set, a fixed window instead: flushes at least this many ms apart (leading edge when
   * quiet), whatever the load; 0 = every settle at once. For the bench's trade-off curve.
   */
  fixedSendWindowMs?: number | undefined;
};

export class SendWindow {
  /** GCRA's theoretical time (ms): when the sends made so far are paid for at the budget's rate. */
  private tat = Number.NEGATIVE_INFINITY;
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  /**
   * Milliseconds the next flush should wait from `now`: 0 when the budget allows it now,
   * never more than the policy's bound.
   */
  waitMs(now: number, policy: SendWindowPolicy): number {
    const bound = Math.max(0, policy.maxSendDelayMs);
    const fixed = policy.fixedSendWindowMs;
    if (fixed !== undefined) return Math.max(0, Math.min(fixed, this.lastFlushAt + fixed - now));
    const wait = this.tat - tolerance(policy) - now;
    return wait > 0 ? Math.min(wait, bound) : 0;
  }

  /** Records a flush at `now` that made `sends` sends. */
  flushed(now: number, sends: number, policy: SendWindowPolicy): void {
    this.lastFlushAt = now;
    if (!(sends > 0)) return;
    const cost = (sends * 1000) / budget(policy);
    // Debt beyond one bound past the tolerance (what a flush forced by the bound leaves) is
    // forgiven. The cap must not depend on this flush's cost: with `now + cost + tolerance` a
    // heavier small flush after a big one could lower `tat` below a lighter history's, and the
    // wait would not be monotone in load (fast-check seed 841881284).
    this.tat = Math.min(Math.max(this.tat, now) + cost, now + tolerance(policy) + Math.max(0, policy.maxSendDelayMs));
  }
}

function budget(policy: SendWindowPolicy): number {
  return policy.sendBudgetPerSecond > 0 ? policy.sendBudgetPerSecond : Number.POSITIVE_INFINITY;
}

/** How far ahead of the budget a flush may run: one bound's worth of sends. */
function tolerance(policy: SendWindowPolicy): number {
  return Math.max(0, policy.maxSendDelayMs);
}
