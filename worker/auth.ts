/**
 * Authentication: people's JWTs (bearer header, or the `bearer.<jwt>` WebSocket subprotocol),
 * browser sessions (the `qc_session` cookie, reads only), and the bridge's service token.
 * Fails closed: while the configuration is insecure (worker/secret-policy.ts) nobody is
 * authenticated and every authenticated route answers 503 insecure_configuration.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { parse as parseCookie } from 'hono/utils/cookie';
import { verifyJwt, type Claims } from '../protocol/jwt.ts';
import { ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/room.ts';
import { roleAtLeast, type Role } from '../protocol/roles.ts';
import { getConfig, type Config } from './config.ts';
import { createDb } from './db/client.ts';
import { SESSION_ID_PATTERN, findSession, keyTag } from './db/sessions.ts';
import { apiError } from './errors.ts';
import type { AppEnv } from './types.ts';

/** The browser session cookie (POST /api/session); its value is an opaque id, never a token. */
export const SESSION_COOKIE = 'qc_session';

/** Longest Cookie header read for the session (a browser's whole jar for this site is far smaller). */
const MAX_COOKIE_HEADER_CHARS = 8192;

/** What a request authenticates with. */
export type Credential =
  | { kind: 'bearer'; token: string }
  | { kind: 'session'; id: string }
  | { kind: 'malformed'; message: string }
  | { kind: 'none' };

/**
 * Where a request carries its credential. The Authorization header first; browsers' WebSockets
 * cannot send headers, so the dashboard offers its token as a `bearer.<jwt>` subprotocol (kept out
 * of URLs and so out of access logs); EventSource and long-polls send the session cookie.
 */
export function credentialOf(req: Request): Credential {
  const header = req.headers.get('authorization');
  if (header !== null) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m ? { kind: 'bearer', token: m[1]! } : { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' };
  }
  const protocols = req.headers.get('sec-websocket-protocol');
  if (protocols) {
    for (const p of protocols.split(',')) {
      const v = p.trim();
      if (v.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return { kind: 'bearer', token: v.slice(TOKEN_SUBPROTOCOL_PREFIX.length) };
    }
  }
  return sessionCredentialOf(req.headers.get('cookie'));
}

/** The session cookie of a Cookie header: a well-formed id, malformed (too long, repeated, not an id), or none. */
export function sessionCredentialOf(cookie: string | null | undefined): Credential {
  if (cookie && cookie.includes(SESSION_COOKIE)) {
    if (cookie.length > MAX_COOKIE_HEADER_CHARS) return { kind: 'malformed', message: `the Cookie header is longer than ${MAX_COOKIE_HEADER_CHARS} characters` };
    const names = cookie.split(';').filter((pair) => pair.split('=')[0]!.trim() === SESSION_COOKIE).length;
    if (names > 1) return { kind: 'malformed', message: `more than one ${SESSION_COOKIE} cookie` };
    if (names === 1) {
      const id = sessionCookieValue(cookie);
      return id !== undefined && SESSION_ID_PATTERN.test(id) ? { kind: 'session', id } : { kind: 'malformed', message: `the ${SESSION_COOKIE} cookie is not a session id` };
    }
  }
  return { kind: 'none' };
}

/** The session cookie's value, parsed by hono's cookie parser (tolerant of bad percent-encoding). */
function sessionCookieValue(cookie: string): string | undefined {
  return parseCookie(cookie, SESSION_COOKIE)[SESSION_COOKIE];
}

/** True when the client offered the room subprotocol (so the answer must name it). */
export function offersRoomProtocol(req: Request): boolean {
  return (req.headers.get('sec-websocket-protocol') ?? '').split(',').some((p) => p.trim() === ROOM_SUBPROTOCOL);
}

/** Throws 503 insecure_configuration when the configuration may authenticate nobody (config.ts logs the problem once per isolate). */
export function refuseWhenInsecure(config: Config): void {
  if (config.insecure === undefined) return;
  apiError(503, 'insecure_configuration', `this Worker refuses to authenticate anyone: ${config.insecure}. Set strong secrets (docs/security.md).`);
}

const UNAUTHORIZED = { 'www-authenticate': 'Bearer error="invalid_token"' };

/** Verifies a bearer JWT with the configured secrets and checks; 401 naming the failed check. `secretIndex`: which secret verified it. */
export async function verifyBearer(config: Config, token: string): Promise<{ claims: Claims; secretIndex: number }> {
  const result = await verifyJwt(token, config.jwtSecrets, {
    maxLifetimeSeconds: config.jwtMaxLifetimeSeconds,
    ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
    ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
  });
  if (!result.ok) apiError(401, 'unauthorized', result.message, { check: result.reason }, UNAUTHORIZED);
  return { claims: result.claims, secretIndex: result.secretIndex };
}

/** The fingerprints of the JWT secrets configured now (sessions are tied to one). */
export function keyTags(config: Config): Promise<string[]> {
  return Promise.all(config.jwtSecrets.map(keyTag));
}

const SESSION_REFUSALS = {
  unknown: 'the session has ended or never existed; sign in again',
  expired: 'the session has expired with its token; sign in again',
  rotated: 'the session was started with a secret that has been rotated out; sign in again',
} as const;

/** The caller's claims from whatever credential the request carries; 401 without a valid one. */
async function authenticate(c: Context<AppEnv>): Promise<Claims> {
  const config = getConfig(c.env);
  refuseWhenInsecure(config);
  const credential = credentialOf(c.req.raw);
  switch (credential.kind) {
    case 'none':
      return apiError(401, 'unauthorized', 'missing bearer token or session cookie', undefined, { 'www-authenticate': 'Bearer' });
    case 'malformed':
      return apiError(401, 'unauthorized', credential.message, undefined, UNAUTHORIZED);
    case 'bearer': {
      const { claims, secretIndex } = await verifyBearer(config, credential.token);
      c.set('authSecret', config.jwtSecrets[secretIndex]);
      return claims;
    }
    case 'session': {
      // The cookie rides along on any same-site request; it authenticates reads only, so writes always carry the bearer header.
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') apiError(401, 'unauthorized', `the ${SESSION_COOKIE} cookie authenticates reads only; send the bearer token`, undefined, { 'www-authenticate': 'Bearer' });
      const found = await findSession(createDb(c.env.DB), credential.id, await keyTags(config));
      if (!found.ok) return apiError(401, 'unauthorized', SESSION_REFUSALS[found.reason], { check: `session_${found.reason}` }, UNAUTHORIZED);
      return found.claims;
    }
  }
}

/** Requires a valid credential with at least `role`; 401 without or with a bad one, 403 for a weaker role. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const claims = await authenticate(c);
    if (!roleAtLeast(claims.role, role)) {
      apiError(403, 'forbidden', `this action needs the ${role} role; the token has ${claims.role}`);
    }
    c.set('user', claims);
    await next();
  };
}

/** The bridge's service token (INGEST_TOKEN, or INGEST_TOKEN_PREVIOUS during a rotation), compared in constant time; it opens /internal/* only. */
export function requireServiceToken(): MiddlewareHandler<AppEnv> {
  return async function requireServiceTokenMiddleware(c, next) {
    const config = getConfig(c.env);
    refuseWhenInsecure(config);
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    const matches = await Promise.all(config.ingestTokens.map((t) => sameSecret(given, t)));
    if (!given || !matches.includes(true)) apiError(401, 'unauthorized', 'missing or invalid service token');
    await next();
  };
}

async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [ha, hb] = await Promise.all([crypto.subtle.digest('SHA-256', enc.encode(a)), crypto.subtle.digest('SHA-256', enc.encode(b))]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

export type { Claims };
