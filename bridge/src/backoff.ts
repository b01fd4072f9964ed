/**
 * The repository's one backoff and its abortable sleep, shared by the bridge, the scripts, the
 * benchmarks and the tests (it lives here because the bridge ships alone with protocol/).
 *
 * One function rather than a retry package (p-retry, exponential-backoff, cockatiel): those own
 * the retry loop and its sleep, while the consumer must never sleep a backoff — it pauses the one
 * partition and resumes it on a timer (batch-handler.ts) — and partition-flow.ts needs the delay
 * as a number, drawn from an injected random source so its property tests are deterministic.
 * The sleep is the platform's (`node:timers/promises`), resolving rather than rejecting on abort.
 */
import { setTimeout as wait } from 'node:timers/promises';

/**
 * How a delay grows with the attempt: `initialMs * 2^attempt`, capped at `maxMs`, then jittered —
 * `full`: random in [initialMs / 2, ceiling] (never a busy retry); `equal`: in [ceiling / 2,
 * ceiling]; `none`: the ceiling itself (start-up probes, where one waiter has nobody to spread from).
 */
export type BackoffPolicy = { initialMs: number; maxMs: number; jitter: 'full' | 'equal' | 'none' };

/** The delay before retry number `attempt` (0 for the first retry), in whole milliseconds. */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const { initialMs, maxMs } = policy;
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  switch (policy.jitter) {
    case 'none':
      return ceiling;
    case 'equal':
      return Math.floor(ceiling * (0.5 + random() / 2));
    case 'full':
      return Math.min(maxMs, Math.max(initialMs / 2, Math.floor(random() * ceiling)));
  }
}

/** Resolves after `ms` (0 or less: on the next turn of the event loop), or early, never rejecting, when the signal aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await wait(Math.max(0, ms), undefined, { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
