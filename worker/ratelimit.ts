/**
 * Per-token write rate limit: a token bucket in a Durable Object, one object per token `sub`
 * (idFromName), so the limit holds across isolates and colos instead of per isolate.
 *
 * The bucket lives in memory. An object is evicted only after it has been idle for a while,
 * and an idle bucket refills anyway, so losing it on eviction only ever errs towards allowing.
 */
import { DurableObject } from 'cloudflare:workers';
import type { MiddlewareHandler } from 'hono';
import { getConfig } from './config.ts';
import { apiError } from './errors.ts';
import type { AppEnv } from './types.ts';

/** The answer of one take: allowed, or how long until `cost` tokens are back. */
export type TakeResult = { ok: true; remaining: number } | { ok: false; retryAfterSeconds: number };

export class RateLimiter extends DurableObject<Env> {
  private tokens = -1;
  private updatedAt = 0;

  /**
   * Takes `cost` tokens from a bucket that holds `perMinute` tokens and refills at
   * `perMinute` per minute (a minute's worth of burst).
   */
  async take(perMinute: number, cost = 1, now = Date.now()): Promise<TakeResult> {
    const capacity = Math.max(1, perMinute);
    const perMs = capacity / 60_000;
    this.tokens = this.tokens < 0 ? capacity : Math.min(capacity, this.tokens + (now - this.updatedAt) * perMs);
    this.updatedAt = now;
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return { ok: true, remaining: Math.floor(this.tokens) };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - this.tokens) / perMs / 1000)) };
  }
}

/** The limiter of one token subject. */
export function rateLimiterStub(env: Env, sub: string): DurableObjectStub<RateLimiter> {
  return env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(sub));
}

/**
 * Limits writes per token `sub` (place after requireRole); 429 with `Retry-After` when the
 * bucket is empty. The rate is `WRITE_RATE_PER_MINUTE`.
 */
export function limitWrites(): MiddlewareHandler<AppEnv> {
  return async function limitWritesMiddleware(c, next) {
    const { writeRatePerMinute } = getConfig(c.env);
    const result = await rateLimiterStub(c.env, c.get('user').sub).take(writeRatePerMinute);
    if (!result.ok) {
      apiError(429, 'rate_limited', `more than ${writeRatePerMinute} writes per minute for this token; retry in ${result.retryAfterSeconds} s`, undefined, {
        'retry-after': String(result.retryAfterSeconds),
      });
    }
    c.header('x-ratelimit-remaining', String(result.remaining));
    await next();
  };
}
