/** Who is signed in: the token (sessionStorage) and its decoded claims (UI decisions only). */
import { createStore } from 'solid-js/store';
import { TOKEN_KEY, decodeClaims, isExpired, type UserClaims } from '../lib/auth.ts';

export type SessionState = { token: string | undefined; claims: UserClaims | undefined; error: string | undefined };
export type SessionActions = { signIn(token: string): boolean; signOut(): void };

export function createSessionStore(initial: string | undefined, storage: Storage | undefined = globalThis.sessionStorage): [SessionState, SessionActions] {
  const initialClaims = initial ? decodeClaims(initial) : undefined;
  const usable = initialClaims && !isExpired(initialClaims);
  const [state, setState] = createStore<SessionState>({
    token: usable ? initial : undefined,
    claims: usable ? initialClaims : undefined,
    error: initial && !usable ? (initialClaims ? 'That token has expired.' : 'That is not a Quaycast token.') : undefined,
  });
  return [
    state,
    {
      signIn(token) {
        const t = token.trim();
        const claims = decodeClaims(t);
        if (!claims) {
          setState('error', 'That is not a Quaycast token (a JWT with sub and role claims).');
          return false;
        }
        if (isExpired(claims)) {
          setState('error', 'That token has expired.');
          return false;
        }
        storage?.setItem(TOKEN_KEY, t);
        setState({ token: t, claims, error: undefined });
        return true;
      },
      signOut() {
        storage?.removeItem(TOKEN_KEY);
        setState({ token: undefined, claims: undefined, error: undefined });
      },
    },
  ];
}
