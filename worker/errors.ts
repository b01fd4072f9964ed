/**
 * The API's errors: one body (`{ error: { code, message, details? } }`), thrown as a Hono
 * HTTPException from anywhere (`apiError`), and one handler that answers every error (`answerError`,
 * the app's onError): Hono's own exceptions in the same shape, a room that could not store as 503
 * `room_unavailable`, anything else as 500 without a stack.
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorFields, log } from './log.ts';
import { RoomUnavailableError } from './room/failure.ts';
import type { AppEnv } from './types.ts';

/** The one error body of the API: `{ error: { code, message, details? } }`. */
export type ErrorBody = { error: { code: string; message: string; details?: unknown } };

/** Throws the API's error shape; the app's onError turns it into the response. */
export function apiError(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: unknown,
  headers?: Record<string, string>,
): never {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  throw new HTTPException(status, {
    res: new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    }),
  });
}

/** The validation hook of every route (the app's defaultHook): a failure answers 400 naming each bad field. */
export function invalidRequest(result: {
  success: boolean;
  error?: { issues: readonly { path: PropertyKey[]; message: string }[] };
}): void {
  if (result.success || !result.error) return;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  apiError(400, 'invalid_request', `${details.length} invalid field${details.length === 1 ? '' : 's'}`, details);
}

/** Codes of Hono's own exceptions (its validators' malformed JSON, wrong Content-Type, ...). */
const HONO_ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/** The app's one error handler. */
export function answerError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof HTTPException) {
    const res = err.getResponse();
    if (res.headers.get('content-type')?.includes('application/json')) return res;
    // Hono's own exceptions in the API's error shape.
    return c.json(
      {
        error: { code: HONO_ERROR_CODES[err.status] ?? 'error', message: err.message || res.statusText },
      } satisfies ErrorBody,
      err.status,
    );
  }
  if (err instanceof RoomUnavailableError) {
    // Not the request's fault (docs/api.md): the other rooms' events of it are stored; a retry finds them duplicate.
    log('warn', 'room unavailable', { requestId: c.get('requestId'), rooms: err.rooms, ...errorFields(err.cause) });
    return c.json(
      { error: { code: 'room_unavailable', message: err.message, details: { rooms: err.rooms } } } satisfies ErrorBody,
      503,
      { 'retry-after': '1' },
    );
  }
  log('error', 'unhandled error', {
    requestId: c.get('requestId'),
    path: new URL(c.req.url).pathname,
    ...errorFields(err),
  });
  return c.json(
    {
      error: { code: 'internal', message: 'internal error; the request id identifies it in the logs' },
    } satisfies ErrorBody,
    500,
  );
}
