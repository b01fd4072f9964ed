/**
 * Security headers on every answer but an upgraded socket (which carries no document). The
 * dashboard's own CSP and framing rules live in web/public/_headers (docs/security.md).
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../../types.ts';

/** What every answer of the Worker carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'cross-origin-opener-policy': 'same-origin',
};

export type SecurityHeadersOptions = { headers?: Readonly<Record<string, string>> };

/** Sets `headers` (default SECURITY_HEADERS) on every answer that is not a 101. */
export function securityHeaders({
  headers = SECURITY_HEADERS,
}: SecurityHeadersOptions = {}): MiddlewareHandler<AppEnv> {
  return async function securityHeadersMiddleware(c, next) {
    await next();
    if (c.res.status === 101) return; // upgraded sockets carry no document
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
  };
}
