/**
 * The room's replay reads from D1, shared fairly: at most `total` at once room-wide (old cursors
 * never starve the writer's D1 time), and at most `perHolder` of them for one token, so a token
 * with many resuming sockets cannot hold every slot while another token's resume waits. Waiters
 * are served first come, first served among those under their share.
 */
export type SlotLimits = { total: number; perHolder: number };

export class ReplaySlots {
  private readonly held = new Map<string, number>();
  private inUse = 0;
  private peak = 0;
  private readonly waiting: { holder: string; grant: () => void }[] = [];

  private readonly limits: () => SlotLimits;

  /** `limits` is read at every decision (tests tighten a live room's limits). */
  constructor(limits: () => SlotLimits) {
    this.limits = limits;
  }

  /** Waits for a slot for `holder`; resolves with its release (call it exactly once). */
  acquire(holder: string): Promise<() => void> {
    return new Promise((resolve) => {
      this.waiting.push({ holder, grant: () => resolve(this.releaser(holder)) });
      this.dispatch();
    });
  }

  /** Runs `read` in a slot of `holder`. */
  async run<T>(holder: string, read: () => Promise<T>): Promise<T> {
    const release = await this.acquire(holder);
    try {
      return await read();
    } finally {
      release();
    }
  }

  /** Slots in use now, and by `holder`. */
  inUseBy(holder?: string): number {
    return holder === undefined ? this.inUse : (this.held.get(holder) ?? 0);
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** The most slots one holder has held at once, ever (an invariant check: never above the share). */
  get peakPerHolder(): number {
    return this.peak;
  }

  private releaser(holder: string): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inUse--;
      const n = (this.held.get(holder) ?? 1) - 1;
      if (n <= 0) this.held.delete(holder);
      else this.held.set(holder, n);
      this.dispatch();
    };
  }

  private dispatch(): void {
    const { total, perHolder } = this.limits();
    const max = Math.max(1, total);
    const share = Math.max(1, Math.min(perHolder, max));
    for (let i = 0; i < this.waiting.length && this.inUse < max; ) {
      const w = this.waiting[i]!;
      if ((this.held.get(w.holder) ?? 0) >= share) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.inUse++;
      const n = (this.held.get(w.holder) ?? 0) + 1;
      this.held.set(w.holder, n);
      if (n > this.peak) this.peak = n;
      w.grant();
    }
  }
}
