import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** The one error body of the API: `{ error: { code, message, details? } }`. */
export type ErrorBody = { error: { code: string; message: string; details?: unknown } };

/** Throws the API's error shape; the app's onError turns it into the response. */
export function apiError(status: ContentfulStatusCode, code: string, message: string, details?: unknown, headers?: Record<string, string>): never {
  const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
  throw new HTTPException(status, {
    res: new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } }),
  });
}
