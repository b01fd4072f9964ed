/**
 * The outbox bell: the one Durable Object (named `outbox`, stub.ts) that a long-polling bridge
 * parks on while the outbox is empty, and that the API rings after it stored events (so after
 * their outbox rows are committed to D1). It holds no data, only a version: a token that changes
 * with every ring. The long-poll (long-poll.ts) takes the token *before* it reads D1 and parks
 * only while the token is unchanged, so a row stored between the read and the parking has
 * already changed the token and the park returns at once: no wake is lost in that gap.
 *
 * The version lives in memory. An eviction (only possible with nobody parked) starts a new
 * epoch, and a token of an older epoch counts as changed: at worst one needless re-read of D1.
 */
import { DurableObject } from 'cloudflare:workers';

/** What a park ended with: the current token, and whether it differs from the one parked with. */
export type BellAnswer = { token: string; rang: boolean };

/** Longest one park may last (the route bounds `wait` lower still). */
export const MAX_PARK_MS = 60_000;

export class OutboxBell extends DurableObject<Env> {
  private readonly epoch = crypto.randomUUID();
  private version = 0;
  private readonly parked = new Set<() => void>();

  private token(): string {
    return `${this.epoch}:${this.version}`;
  }

  /** The current token, to be taken before the outbox is read. */
  async current(): Promise<string> {
    return this.token();
  }

  /**
   * Resolves at once when the token is no longer `since`, else at the next ring or after `ms`
   * (bounded by MAX_PARK_MS), whichever comes first.
   */
  async park(since: string, ms: number): Promise<BellAnswer> {
    if (since !== this.token()) return { token: this.token(), rang: true };
    const wait = Math.max(0, Math.min(MAX_PARK_MS, Number.isFinite(ms) ? ms : 0));
    if (wait === 0) return { token: this.token(), rang: false };
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.parked.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, wait);
      this.parked.add(wake);
    });
    const token = this.token();
    return { token, rang: token !== since };
  }

  /** Changes the token and wakes everyone parked. Returns how many were woken. */
  async ring(): Promise<number> {
    this.version++;
    const woken = [...this.parked];
    for (const wake of woken) wake();
    return woken.length;
  }
}
