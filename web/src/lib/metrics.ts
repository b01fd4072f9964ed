/**
 * Stream metrics measured in the browser: events per second, end-to-end latency (eventTime to
 * the frame that painted it) and an events-per-minute series. Bounded memory at any rate.
 */
export class StreamMeter {
  /** Arrivals per second over the last `windowSeconds`. */
  private readonly perSecond: Map<number, number> = new Map();
  /** Latency samples, a ring buffer. */
  private readonly samples: Float64Array;
  private sampleCount = 0;
  private sampleNext = 0;
  /** Events per minute (keyed by the minute of `createdAt`), the last `minutes` minutes. */
  private readonly perMinute: Map<number, number> = new Map();

  private readonly windowSeconds: number;
  private readonly minutes: number;

  constructor(windowSeconds = 10, sampleCapacity = 2048, minutes = 30) {
    this.windowSeconds = windowSeconds;
    this.minutes = minutes;
    this.samples = new Float64Array(sampleCapacity);
  }

  /** Counts `n` arrivals at `now`. */
  arrived(n: number, now: number): void {
    const sec = Math.floor(now / 1000);
    this.perSecond.set(sec, (this.perSecond.get(sec) ?? 0) + n);
    for (const k of this.perSecond.keys()) if (k <= sec - this.windowSeconds) this.perSecond.delete(k);
  }

  /** One end-to-end latency sample, ms. */
  latency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.samples[this.sampleNext] = ms;
    this.sampleNext = (this.sampleNext + 1) % this.samples.length;
    this.sampleCount = Math.min(this.sampleCount + 1, this.samples.length);
  }

  /** Counts an event into its minute bucket. */
  minute(createdAtMs: number, now: number): void {
    if (Number.isNaN(createdAtMs)) return;
    const m = Math.floor(createdAtMs / 60_000);
    const oldest = Math.floor(now / 60_000) - this.minutes + 1;
    if (m < oldest) return;
    this.perMinute.set(m, (this.perMinute.get(m) ?? 0) + 1);
    for (const k of this.perMinute.keys()) if (k < oldest) this.perMinute.delete(k);
  }

  rate(now: number): number {
    const sec = Math.floor(now / 1000);
    let total = 0;
    // whole seconds only: the current one is still filling
    for (const [k, v] of this.perSecond) if (k < sec && k >= sec - this.windowSeconds) total += v;
    return total / this.windowSeconds;
  }

  percentile(p: number): number | undefined {
    if (this.sampleCount === 0) return undefined;
    const sorted = Array.from(this.samples.subarray(0, this.sampleCount)).sort((a, b) => a - b);
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[idx];
  }

  /** The last `minutes` minutes, oldest first, zeros included. */
  series(now: number): { minute: number; count: number }[] {
    const last = Math.floor(now / 60_000);
    return Array.from({ length: this.minutes }, (_, i) => {
      const minute = last - this.minutes + 1 + i;
      return { minute, count: this.perMinute.get(minute) ?? 0 };
    });
  }
}
