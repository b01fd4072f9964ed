/**
 * Which origins may call: CORS for the API (the allow-list is CORS_ORIGINS), and the guard of
 * the rooms against cross-site WebSocket hijacking.
 */
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { getConfig } from '../../config.ts';
import { apiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';

export type ApiCorsOptions = {
  /** How long a browser may cache a preflight's answer (Access-Control-Max-Age). */
  maxAgeSeconds?: number;
};

/** CORS with credentials for the origins in CORS_ORIGINS (read per request: the configuration is the environment's). */
export function apiCors({ maxAgeSeconds = 600 }: ApiCorsOptions = {}): MiddlewareHandler<AppEnv> {
  return async function apiCorsMiddleware(c, next) {
    return cors({ origin: getConfig(c.env).corsOrigins as string[], credentials: true, maxAge: maxAgeSeconds })(
      c,
      next,
    );
  };
}

/**
 * Cross-site WebSocket hijacking guard: a browser always sends Origin on a socket or EventSource;
 * one that is neither this host nor in the CORS allow-list is refused before the cookie is read.
 */
export function allowedOrigin(): MiddlewareHandler<AppEnv> {
  return async function allowedOriginMiddleware(c, next) {
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin && !getConfig(c.env).corsOrigins.includes(origin)) {
      apiError(403, 'forbidden_origin', `origin ${origin} may not open rooms`);
    }
    await next();
  };
}
