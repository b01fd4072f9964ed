/** Who is signed in: the token (sessionStorage) and its decoded claims (UI decisions only). */
import { createStore } from 'solid-js/store';
import { TOKEN_KEY, decodeClaims, isExpired, type UserClaims } from '../lib/auth.ts';

/** `expired`: a room said the token ended; the dashboard stays as it is behind the sign-in form until a new sign-in. */
export type SessionState = { token: string | undefined; claims: UserClaims | undefined; error: string | undefined; expired: boolean };
export type SessionActions = { signIn(token: string): boolean; signOut(): void; expire(): void };

export function createSessionStore(initial: string | undefined, storage: Storage | undefined = globalThis.sessionStorage): [SessionState, SessionActions] {
  const initialClaims = initial ? decodeClaims(initial) : undefined;
  const usable = initialClaims && !isExpired(initialClaims);
  const [state, setState] = createStore<SessionState>({
    token: usable ? initial : undefined,
    claims: usable ? initialClaims : undefined,
    error: initial && !usable ? (initialClaims ? 'That token has expired.' : 'That is not a Quaycast token.') : undefined,
    expired: false,
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
        setState({ token: t, claims, error: undefined, expired: false });
        return true;
      },
      signOut() {
        storage?.removeItem(TOKEN_KEY);
        setState({ token: undefined, claims: undefined, error: undefined, expired: false });
      },
      expire() {
        storage?.removeItem(TOKEN_KEY);
        setState({ expired: true, error: 'Your sign-in has expired. Sign in again to carry on where you were.' });
      },
    },
  ];
}
