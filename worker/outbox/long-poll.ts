/**
 * The outbox long-poll (GET /internal/outbox?wait=s): answer at once when rows are pending, else
 * park on the bell until a ring or the deadline, then read again. The order is what makes it
 * race-free: the bell's token is taken before each read, and the park returns at once if the
 * token moved since, so a row stored (and rung) between a read and the park is never left
 * waiting for the deadline. Written against a small interface so that the order can be tested
 * with any interleaving (long-poll.test.ts).
 */
import type { BellAnswer } from './bell.ts';

/** What the long-poll needs of the bell and of D1. */
export type LongPollDeps<Row> = {
  current(): Promise<string>;
  park(since: string, ms: number): Promise<BellAnswer>;
  read(): Promise<Row[]>;
  /** Something else the reader wants is due (replay requests): answer now, even with no rows. */
  due?(): boolean;
  now(): number;
};

/** The rows pending now, or the first ones stored before `waitMs` ends; empty when none were. */
export async function pendingOrWait<Row>(deps: LongPollDeps<Row>, waitMs: number): Promise<Row[]> {
  const deadline = deps.now() + waitMs;
  let token = await deps.current();
  for (;;) {
    const rows = await deps.read();
    const left = deadline - deps.now();
    if (rows.length > 0 || left <= 0 || deps.due?.()) return rows;
    const answer = await deps.park(token, left);
    token = answer.token;
    // Woken by the deadline with no ring: nothing was stored meanwhile (a ring would have moved the token).
    if (!answer.rang && deadline - deps.now() <= 0) return [];
  }
}
