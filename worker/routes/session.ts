/**
 * Browser sessions (contract 3): the dashboard trades its bearer token for a server-side session
 * whose opaque id travels in the HttpOnly cookie `qc_session`, which EventSource and long-polls
 * send by themselves. The session ends with its token, on DELETE /api/session (sign-out), or
 * when the secret that verified the token is rotated out. SameSite=Strict and the CORS
 * allow-list keep other sites from riding on it; it authenticates reads only (worker/middleware/auth/).
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { deleteCookie, setCookie } from 'hono/cookie';
import { CATEGORIES } from '../../protocol/enums.ts';

import { getConfig } from '../config.ts';
import { createDb } from '../db/client.ts';
import { createSession, endSession, keyTag } from '../db/sessions.ts';
import { apiError } from '../errors.ts';
import { SESSION_COOKIE, credentialOf, sessionCredentialOf } from '../middleware/auth/credentials.ts';
import { refuseWhenInsecure, requireRole } from '../middleware/auth/index.ts';
import { limitWrites } from '../middleware/rate-limit/index.ts';
import type { AppEnv } from '../types.ts';
import { BEARER, errors } from './openapi.ts';

/** Secure everywhere but plain-http loopback (local dev), where browsers would drop a Secure cookie. */
function isPlainLoopback(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

const cookieOptions = (url: URL) => ({
  path: '/api',
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: !isPlainLoopback(url),
});

export const session = new OpenAPIHono<AppEnv>();

session.openapi(
  createRoute({
    method: 'post',
    path: '/',
    summary: 'Start a browser session from a bearer token',
    description:
      `Stores a session on the server and sets the HttpOnly cookie \`${SESSION_COOKIE}\` (Path=/api, SameSite=Strict, Secure) to its opaque id for the token's remaining lifetime. ` +
      'The session carries the token’s claims (role, scope) and ends with the token, on DELETE /api/session, or when the secret that verified the token is rotated out. ' +
      'Only a bearer header starts one; the cookie authenticates GET requests only.',
    security: BEARER,
    middleware: [requireRole('viewer'), limitWrites()],
    responses: {
      200: {
        description: 'Session started, cookie set',
        content: {
          'application/json': {
            schema: z.object({
              sub: z.string(),
              name: z.string().nullable(),
              role: z.string(),
              categories: z.array(z.enum(CATEGORIES)).nullable(),
              expiresAt: z.string(),
            }),
          },
        },
      },
      ...errors({
        401: 'No bearer header, or an invalid token',
        429: 'Write rate exceeded',
        503: 'insecure_configuration: the Worker refuses to authenticate anyone',
      }),
    },
  }),
  async (c) => {
    // Only a bearer header starts a session: a cookie cannot renew itself.
    const credential = credentialOf(c.req.raw);
    const fromHeader = c.req.header('authorization') !== undefined && credential.kind === 'bearer';
    if (!fromHeader)
      apiError(401, 'unauthorized', 'POST /api/session takes the token in the Authorization header', undefined, {
        'www-authenticate': 'Bearer',
      });
    const user = c.get('user');
    // The session lives only as long as the secret that verified its token is configured.
    const secret = c.get('authSecret');
    if (!secret) apiError(401, 'unauthorized', 'POST /api/session takes the token in the Authorization header');
    const db = createDb(c.env.DB);
    // A browser that starts a new session replaces its old one: the id it held stops working.
    const previous = sessionCredentialOf(c.req.header('cookie'));
    if (previous.kind === 'session') await endSession(db, previous.id);
    const id = await createSession(db, user, await keyTag(secret));
    const maxAge = Math.max(0, user.exp - Math.floor(Date.now() / 1000));
    setCookie(c, SESSION_COOKIE, id, { ...cookieOptions(new URL(c.req.url)), maxAge });
    c.header('cache-control', 'no-store');
    return c.json(
      {
        sub: user.sub,
        name: user.name ?? null,
        role: user.role,
        categories: user.categories ?? null,
        expiresAt: new Date(user.exp * 1000).toISOString(),
      },
      200,
    );
  },
);

session.openapi(
  createRoute({
    method: 'delete',
    path: '/',
    summary: 'End the browser session (sign out)',
    description:
      `Deletes the session named by the \`${SESSION_COOKIE}\` cookie on the server and clears the cookie: the cookie no longer authenticates anything, even if a copy was kept. ` +
      'Needs no other credential (the cookie is the session’s own); idempotent: 204 also when there was no session.',
    responses: {
      204: { description: 'Session ended, cookie cleared' },
      ...errors({ 503: 'insecure_configuration' }),
    },
  }),
  async (c) => {
    refuseWhenInsecure(getConfig(c.env));
    const credential = sessionCredentialOf(c.req.header('cookie'));
    if (credential.kind === 'session') await endSession(createDb(c.env.DB), credential.id);
    deleteCookie(c, SESSION_COOKIE, cookieOptions(new URL(c.req.url)));
    c.header('cache-control', 'no-store');
    return c.body(null, 204);
  },
);
