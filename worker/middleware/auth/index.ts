/**
 * Authentication and authorization middleware: people's JWTs (bearer header, or the
 * `bearer.<jwt>` WebSocket subprotocol; credentials.ts says where a request carries one), browser
 * sessions (the `qc_session` cookie, reads only), the bridge's service token, and a scoped
 * token's rooms.
 *
 * Fails closed: while the configuration is insecure (worker/secret-policy.ts) nobody is
 * authenticated and every authenticated route answers 503 insecure_configuration.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { parseCategory } from '../../../protocol/enums.ts';
import { verifyJwt, type Claims } from '../../../protocol/jwt.ts';
import { roleAtLeast, type Role } from '../../../protocol/roles.ts';
import { mayView } from '../../../protocol/scope.ts';
import { getConfig, type Config } from '../../config.ts';
import { createDb } from '../../db/client.ts';
import { findSession, keyTag } from '../../db/sessions.ts';
import { apiError } from '../../errors.ts';
import type { AppEnv } from '../../types.ts';
import { SESSION_COOKIE, credentialOf } from './credentials.ts';

/** Throws 503 insecure_configuration when the configuration may authenticate nobody (config.ts logs the problem once per isolate). */
export function refuseWhenInsecure(config: Config): void {
  if (config.insecure === undefined) return;
  apiError(
    503,
    'insecure_configuration',
    `this Worker refuses to authenticate anyone: ${config.insecure}. Set strong secrets (docs/security.md).`,
  );
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
      return apiError(401, 'unauthorized', 'missing bearer token or session cookie', undefined, {
        'www-authenticate': 'Bearer',
      });
    case 'malformed':
      return apiError(401, 'unauthorized', credential.message, undefined, UNAUTHORIZED);
    case 'bearer': {
      const { claims, secretIndex } = await verifyBearer(config, credential.token);
      c.set('authSecret', config.jwtSecrets[secretIndex]);
      return claims;
    }
    case 'session': {
      // The cookie rides along on any same-site request; it authenticates reads only, so writes always carry the bearer header.
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD')
        apiError(
          401,
          'unauthorized',
          `the ${SESSION_COOKIE} cookie authenticates reads only; send the bearer token`,
          undefined,
          { 'www-authenticate': 'Bearer' },
        );
      const found = await findSession(createDb(c.env.DB), credential.id, await keyTags(config));
      if (!found.ok)
        return apiError(
          401,
          'unauthorized',
          SESSION_REFUSALS[found.reason],
          { check: `session_${found.reason}` },
          UNAUTHORIZED,
        );
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
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(a)),
    crypto.subtle.digest('SHA-256', enc.encode(b)),
  ]);
  const x = new Uint8Array(ha);
  const y = new Uint8Array(hb);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * A scoped token opens only the rooms of its categories: 403 at the door for the WebSocket
 * upgrade, SSE and drain alike (an unknown room stays the 404 of its route). After requireRole.
 */
export function roomInScope(): MiddlewareHandler<AppEnv> {
  return async function roomInScopeMiddleware(c, next) {
    const category = parseCategory(c.req.param('category') ?? '');
    if (category && !mayView(c.get('user'), category))
      apiError(
        403,
        'forbidden',
        `this token may not open the ${category} room; its scope is ${c.get('user').categories!.join(', ')}`,
      );
    await next();
  };
}
