/** The one answer of every limit (contract 5): 429, `Retry-After` in seconds, `details.limit` naming it. */
import { apiError, type ErrorBody } from '../errors.ts';

/** The limits a token can meet, by the name its 429 carries in `details.limit`. */
export type LimitName = 'writes' | 'search' | 'export_rows' | 'long_polls' | 'connections' | 'room_connections';

/** How long a client over a connection cap is told to wait: a cap frees when one of its own connections closes, not with time. */
export const CONNECTION_RETRY_SECONDS = 30;

/** The 429 body of a limit. */
export function rateLimitedBody(limit: LimitName, message: string): ErrorBody {
  return { error: { code: 'rate_limited', message, details: { limit } } };
}

/** Throws the 429 of a limit (the app's onError sends it). */
export function refuse(limit: LimitName, message: string, retryAfterSeconds: number): never {
  const body = rateLimitedBody(limit, message);
  apiError(429, body.error.code, message, body.error.details, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });
}

/** The same 429 as a Response, for code that answers without throwing (a Durable Object's fetch). */
export function refusalResponse(limit: LimitName, message: string, retryAfterSeconds: number): Response {
  return Response.json(rateLimitedBody(limit, message), {
    status: 429,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
}
