/**
 * The signed-in user, as far as the UI needs it. The token is verified by the Worker on every
 * request; here its claims are only decoded to decide which buttons to show.
 */
import { CATEGORIES, type Category } from '../../../protocol/enums.ts';
import { isRole, roleAtLeast, type Role } from '../../../protocol/roles.ts';

/** The sessionStorage key of the token (this tab only; the server session is the qc_session cookie). */
export const TOKEN_KEY = 'qc_token';

/** `categories`: the token's scope (protocol/scope.ts), absent = every category. */
export type UserClaims = { sub: string; role: Role; name?: string; exp?: number; categories?: Category[] };

/** Decodes a JWT's payload without verifying it (UI only); undefined when it is not a usable token. */
export function decodeClaims(token: string): UserClaims | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(
      Array.from(
        atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4)),
        (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
      ).join(''),
    );
    const c = JSON.parse(json) as Record<string, unknown>;
    if (typeof c.sub !== 'string' || !isRole(c.role)) return undefined;
    // The same rule as the Worker's (protocol/jwt.ts): a scope is a non-empty list of known categories.
    const scope = c.categories;
    if (
      scope !== undefined &&
      (!Array.isArray(scope) ||
        scope.length === 0 ||
        !scope.every((v) => (CATEGORIES as readonly unknown[]).includes(v)))
    )
      return undefined;
    return {
      sub: c.sub,
      role: c.role,
      ...(typeof c.name === 'string' ? { name: c.name } : {}),
      ...(typeof c.exp === 'number' ? { exp: c.exp } : {}),
      ...(Array.isArray(scope) ? { categories: CATEGORIES.filter((k) => (scope as unknown[]).includes(k)) } : {}),
    };
  } catch {
    return undefined; // not base64url JSON: treated as no token
  }
}

export function isExpired(claims: UserClaims, nowMs = Date.now()): boolean {
  return claims.exp !== undefined && claims.exp * 1000 <= nowMs;
}

/**
 * Takes `#token=<jwt>` from the address bar into sessionStorage and removes it from the URL
 * (and so from history, bookmarks and screenshots). Returns the token in use, if any.
 */
export function captureToken(
  loc: Location = location,
  storage: Storage = sessionStorage,
  hist: History = history,
): string | undefined {
  const params = new URLSearchParams(loc.hash.slice(1));
  const fromHash = params.get('token');
  if (fromHash) {
    storage.setItem(TOKEN_KEY, fromHash);
    params.delete('token');
    const rest = params.toString();
    hist.replaceState(hist.state, '', loc.pathname + loc.search + (rest ? `#${rest}` : ''));
  }
  return storage.getItem(TOKEN_KEY) ?? undefined;
}

/** What the UI offers to whom (the Worker enforces the same table). */
export const ABILITIES = {
  read: 'viewer',
  create: 'producer',
  workflow: 'operator',
  delete: 'admin',
  configure: 'admin',
} as const satisfies Record<string, Role>;

export type Ability = keyof typeof ABILITIES;

export function can(role: Role | undefined, ability: Ability): boolean {
  return role !== undefined && roleAtLeast(role, ABILITIES[ability]);
}
