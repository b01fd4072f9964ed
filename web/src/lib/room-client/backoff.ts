/** Reconnect delays: exponential growth, capped, with jitter so a fleet of dashboards does not stampede. */
export type BackoffOptions = {
  /** Delay before the first retry, in ms. */
  initialMs: number;
  /** Largest delay, in ms. */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
};

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000, factor: 2 };

/**
 * The delay before retry number `attempt` (0-based): "equal jitter" — half of the exponential
 * step is fixed, half is random — so a retry never comes immediately yet clients spread out.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  opts: BackoffOptions = DEFAULT_BACKOFF,
): number {
  const step = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}
