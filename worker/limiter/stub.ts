/** Addressing a token's limiter (rate-limiter.ts): one Durable Object per token `sub`. */
import type { RateLimiter } from './rate-limiter.ts';

/** The limiter of one token subject. */
export function rateLimiterStub(env: Env, sub: string): DurableObjectStub<RateLimiter> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(sub));
}
