/**
 * Browser sessions: the dashboard trades its bearer token for an HttpOnly cookie that
 * EventSource and long-polls send by themselves (auth.ts tokenOf reads it). SameSite=Strict and
 * the CORS allow-list keep other sites from riding on it.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { requireRole } from '../auth.ts';
import { apiError } from '../errors.ts';
import { limitWrites } from '../limits/middleware.ts';
import type { AppEnv } from '../types.ts';
import { ErrorSchema } from './schemas.ts';

export const SESSION_COOKIE = 'qc_token';

/** Secure everywhere but plain-http loopback (local dev), where browsers would drop a Secure cookie. */
function cookieAttributes(url: URL, maxAgeSeconds: number | undefined): string {
  const local = url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return ['Path=/api', 'HttpOnly', 'SameSite=Strict', ...(local ? [] : ['Secure']), ...(maxAgeSeconds === undefined ? [] : [`Max-Age=${maxAgeSeconds}`])].join('; ');
}

export const session = new OpenAPIHono<AppEnv>();

session.openapi(
  createRoute({
    method: 'post',
    path: '/api/session',
    summary: 'Start a browser session from a bearer token',
    description: `Sets the HttpOnly cookie \`${SESSION_COOKIE}\` (Path=/api, SameSite=Strict, Secure) for the token's remaining lifetime.`,
    security: [{ bearer: [] }],
    middleware: [requireRole('viewer'), limitWrites()],
    responses: {
      200: {
        description: 'Session cookie set',
        content: { 'application/json': { schema: z.object({ sub: z.string(), name: z.string().nullable(), role: z.string(), expiresAt: z.string().nullable() }) } },
      },
      401: { description: 'No bearer header, or an invalid token', content: { 'application/json': { schema: ErrorSchema } } },
      429: { description: 'Write rate exceeded', content: { 'application/json': { schema: ErrorSchema } } },
    },
  }),
  async (c) => {
    // Only a bearer header starts a session: a cookie cannot renew itself.
    const token = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!token) apiError(401, 'unauthorized', 'POST /api/session takes the token in the Authorization header', undefined, { 'www-authenticate': 'Bearer' });
    const user = c.get('user');
    const maxAge = user.exp === undefined ? undefined : Math.max(0, user.exp - Math.floor(Date.now() / 1000));
    c.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(token)}; ${cookieAttributes(new URL(c.req.url), maxAge)}`);
    c.header('cache-control', 'no-store');
    return c.json({ sub: user.sub, name: user.name ?? null, role: user.role, expiresAt: user.exp === undefined ? null : new Date(user.exp * 1000).toISOString() }, 200);
  },
);

session.openapi(
  createRoute({
    method: 'delete',
    path: '/api/session',
    summary: 'End the browser session',
    description: `Clears the \`${SESSION_COOKIE}\` cookie. Needs no token: anyone may drop their own cookie.`,
    responses: { 204: { description: 'Cookie cleared' } },
  }),
  (c) => {
    c.header('set-cookie', `${SESSION_COOKIE}=; ${cookieAttributes(new URL(c.req.url), 0)}`);
    return c.body(null, 204);
  },
);
