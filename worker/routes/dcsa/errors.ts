/**
 * Errors of the `/v2` routes in the standard's shape (ERROR_DOMAIN 1.0.0 `error`): every answer the
 * app would give in its own shape (`{ error: { code, message, details } }`) is re-written, so a DCSA
 * client reads one error shape, whatever failed (validation, auth, rate limit, a room).
 */
import type { Context } from 'hono';
import { type DcsaError, DCSA_API_VERSION } from '../../../protocol/schemas/dcsa.ts';
import type { ErrorBody } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** The DCSA error body for an error of the app's shape. */
export function dcsaErrorBody(
  req: { method: string; url: string },
  status: number,
  body: ErrorBody | undefined,
  now = new Date(),
): DcsaError {
  const code = body?.error.code ?? 'error';
  const details = Array.isArray(body?.error.details) ? (body.error.details as unknown[]) : [];
  const fieldErrors = details.flatMap((d) =>
    d !== null && typeof d === 'object' && 'message' in d && typeof d.message === 'string'
      ? [{ reason: code, message: 'path' in d && typeof d.path === 'string' ? `${d.path}: ${d.message}` : d.message }]
      : [],
  );
  return {
    httpMethod: req.method,
    requestUri: new URL(req.url).pathname + new URL(req.url).search,
    errors: fieldErrors.length > 0 ? fieldErrors : [{ reason: code, message: body?.error.message ?? `${status}` }],
    statusCode: status,
    statusCodeText: STATUS_TEXT[status] ?? 'Error',
    errorDateTime: now.toISOString(),
  };
}

/** Re-writes an answer of the app's error shape into the DCSA one (other answers pass unchanged). */
export async function asDcsaError(c: Context<AppEnv>, res: Response): Promise<Response> {
  if (res.status < 400 || !res.headers.get('content-type')?.includes('application/json')) return res;
  let body: ErrorBody | undefined;
  try {
    const parsed = (await res.clone().json()) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'error' in parsed) body = parsed as ErrorBody;
  } catch {
    body = undefined; // not JSON after all: answered with the status alone
  }
  if (!body) return res;
  const headers = new Headers(res.headers);
  headers.set('api-version', DCSA_API_VERSION);
  return new Response(JSON.stringify(dcsaErrorBody(c.req.raw, res.status, body)), { status: res.status, headers });
}
