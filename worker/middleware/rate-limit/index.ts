/**
 * Rate and cost limits as Hono middleware (place after requireRole: they read the token's `sub`),
 * against the token's limiter (worker/limiter/). Each takes from the token's budget what the
 * request costs, not 1 per request. A text search is charged by its handler instead
 * (`chargeSearch`): only after validation and scope, so that only a search that runs costs.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getConfig } from '../../config.ts';
import { refuse } from '../../limiter/refusal.ts';
import { rateLimiterStub } from '../../limiter/stub.ts';
import type { AppEnv } from '../../types.ts';

export type WriteLimitOptions = {
  /** What the request costs in writes (default 1): a POST of events costs its event count. */
  cost?: (c: Context<AppEnv>) => number | Promise<number>;
};

/**
 * Limits writes per token `sub`: the `writes` bucket holds WRITE_RATE_PER_MINUTE events and
 * refills at that rate. 429 with `Retry-After` when the request costs more than is left.
 */
export function limitWrites({ cost = () => 1 }: WriteLimitOptions = {}): MiddlewareHandler<AppEnv> {
  return async function limitWritesMiddleware(c, next) {
    const { writeRatePerMinute } = getConfig(c.env);
    const n = Math.max(1, Math.floor(await cost(c)));
    const result = await rateLimiterStub(c.env, c.get('user').sub).takeFrom('writes', writeRatePerMinute, n);
    if (!result.ok) {
      const what = n === 1 ? 'this write' : `these ${n} events`;
      const message =
        n > writeRatePerMinute
          ? `${what} cost more than this token's whole budget of ${writeRatePerMinute} events per minute; send at most ${writeRatePerMinute} at a time`
          : `${what} would exceed ${writeRatePerMinute} events per minute for this token; retry in ${result.retryAfterSeconds} s`;
      refuse('writes', message, result.retryAfterSeconds);
    }
    c.header('x-ratelimit-remaining', String(result.remaining));
    await next();
  };
}

/**
 * The cost of a POST of events: its event count (an array's length, at most `maxEvents`; one
 * object is 1). A body that is not JSON costs 1 and is refused by the handler. Hono keeps the
 * parsed body, so the handler does not parse it again.
 */
export function eventsInBody(maxEvents: number): (c: Context<AppEnv>) => Promise<number> {
  return async function eventsInBodyCost(c) {
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) return 1;
    try {
      const body: unknown = await c.req.json();
      return Array.isArray(body) ? Math.min(Math.max(body.length, 1), maxEvents) : 1;
    } catch {
      return 1; // not JSON: the handler answers 400
    }
  };
}

/**
 * Charges one text search (`q` on the list or the export) to the token: SEARCH_RATE_PER_MINUTE
 * a minute; 429 over it. Called by the handlers after validation, so only a search that would
 * run costs; a request without `q` costs nothing.
 */
export async function chargeSearch(c: Context<AppEnv>, q: string | undefined): Promise<void> {
  if (q === undefined || q.trim() === '') return;
  const { searchPerMinute } = getConfig(c.env).limits;
  const result = await rateLimiterStub(c.env, c.get('user').sub).takeFrom('search', searchPerMinute, 1);
  if (!result.ok)
    refuse(
      'search',
      `more than ${searchPerMinute} text searches per minute for this token; retry in ${result.retryAfterSeconds} s`,
      result.retryAfterSeconds,
    );
}
