/** Long-polls open at once per token (LONG_POLLS_PER_TOKEN): each holds a lease for its wait. */
import { getConfig } from '../config.ts';
import { rateLimiterStub } from './stub.ts';
import { refuse } from './refusal.ts';

/** Slack over the wait itself before a lease that was never released lapses on its own. */
const LEASE_SLACK_MS = 10_000;

/**
 * Holds one long-poll lease of token `sub` for up to `waitSeconds`; 429 when the token already
 * has LONG_POLLS_PER_TOKEN open. Returns the release (call it in `finally`).
 */
export async function holdLongPoll(env: Env, sub: string, waitSeconds: number): Promise<() => Promise<void>> {
  const { longPollsPerToken } = getConfig(env).limits;
  const limiter = rateLimiterStub(env, sub);
  const id = crypto.randomUUID();
  const result = await limiter.acquire('longPoll', longPollsPerToken, {
    id,
    expiresAt: Date.now() + waitSeconds * 1000 + LEASE_SLACK_MS,
  });
  if (!result.ok)
    refuse(
      'long_polls',
      `this token has ${result.open} long-polls open (at most ${longPollsPerToken}); retry in ${waitSeconds} s`,
      Math.max(1, waitSeconds),
    );
  return async () => {
    await limiter.release('longPoll', id).catch(() => {
      // the lease lapses on its own after its wait
    });
  };
}
