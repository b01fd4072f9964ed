/** Authentication middleware: JWT bearer tokens for people, a service token for the bridge. */
import type { MiddlewareHandler } from 'hono';
import { verifyJwt, type Claims } from '../protocol/jwt.ts';
import { ROOM_SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX } from '../protocol/room.ts';
import { roleAtLeast, type Role } from '../protocol/roles.ts';
import { getConfig } from './config.ts';
import { apiError } from './errors.ts';
import type { AppEnv } from './types.ts';

const MESSAGES = {
  malformed: 'the bearer token is not a well-formed JWT',
  bad_signature: 'the bearer token signature is invalid',
  expired: 'the bearer token has expired',
  bad_claims: 'the bearer token lacks a valid sub or role claim',
} as const;

/**
 * Where a request carries its token. Headers first; browsers' WebSockets cannot send headers,
 * so the dashboard offers its token as a `bearer.<jwt>` subprotocol (kept out of URLs and so out
 * of access logs); EventSource and long-polling use the `qc_token` cookie set by POST /api/session.
 */
export function tokenOf(req: Request): string | undefined {
  const header = req.headers.get('authorization');
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m?.[1] ?? '';
  }
  const protocols = req.headers.get('sec-websocket-protocol');
  if (protocols) {
    for (const p of protocols.split(',')) {
      const v = p.trim();
      if (v.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return v.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
    }
  }
  const cookie = req.headers.get('cookie');
  if (cookie) {
    const m = /(?:^|;\s*)qc_token=([^;]+)/.exec(cookie);
    if (m?.[1]) return decodeCookieValue(m[1]);
  }
  return undefined;
}

/** A cookie value, percent-decoded when it is well-formed; a malformed one (`%E0%A4%A`) stays as sent and fails as a token, never as a URIError. */
function decodeCookieValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** True when the client offered the room subprotocol (so the answer must name it). */
export function offersRoomProtocol(req: Request): boolean {
  return (req.headers.get('sec-websocket-protocol') ?? '').split(',').some((p) => p.trim() === ROOM_SUBPROTOCOL);
}

/** Requires a valid JWT with at least `role`; 401 without or with a bad one, 403 for a weaker role. */
export function requireRole(role: Role): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const token = tokenOf(c.req.raw);
    if (!token) apiError(401, 'unauthorized', 'missing bearer token', undefined, { 'www-authenticate': 'Bearer' });
    const { jwtSecret } = getConfig(c.env);
    if (!jwtSecret) apiError(500, 'misconfigured', 'the Worker has no JWT_SECRET configured');
    const result = await verifyJwt(token, jwtSecret);
    if (!result.ok) apiError(401, 'unauthorized', MESSAGES[result.reason], undefined, { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (!roleAtLeast(result.claims.role, role)) {
      apiError(403, 'forbidden', `this action needs the ${role} role; the token has ${result.claims.role}`);
    }
    c.set('user', result.claims);
    await next();
  };
}

/** The bridge's service token (INGEST_TOKEN), compared in constant time; it opens /internal/* only. */
export function requireServiceToken(): MiddlewareHandler<AppEnv> {
  return async function requireServiceTokenMiddleware(c, next) {
    const { ingestToken } = getConfig(c.env);
    if (!ingestToken) apiError(500, 'misconfigured', 'the Worker has no INGEST_TOKEN configured');
    const header = c.req.header('authorization') ?? '';
    const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
    if (!given || !(await sameSecret(given, ingestToken))) apiError(401, 'unauthorized', 'missing or invalid service token');
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
